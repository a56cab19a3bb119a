"""Writes the Parquet files the OpenEnvTasks tests read, with pyarrow, and next to each
the rows it holds as JSON (`<name>.expected.json`), converted to JSON the way
OpenEnvTasks' reader converts values (see LogicalValue in Sources/OpenEnvTasks).

    python write_parquet.py OUTPUT_DIR
"""

import base64
import datetime as dt
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def jsonable(value, arrow_type):
    """A Python value from Table.to_pylist() as the Swift reader renders it."""
    if value is None:
        return None
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return [jsonable(v, arrow_type.value_type) for v in value]
    if pa.types.is_map(arrow_type):
        return [{"key": jsonable(k, arrow_type.key_type), "value": jsonable(v, arrow_type.item_type)} for k, v in value]
    if pa.types.is_struct(arrow_type):
        return {f.name: jsonable(value[f.name], f.type) for f in arrow_type}
    if pa.types.is_binary(arrow_type) or pa.types.is_fixed_size_binary(arrow_type):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if pa.types.is_date(arrow_type):
        return value.isoformat()
    if pa.types.is_timestamp(arrow_type):
        digits = {"ms": 3, "us": 6, "ns": 9}[arrow_type.unit]
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        fraction = value.microsecond * 1000 if digits == 9 else value.microsecond // (1000 if digits == 3 else 1)
        if fraction:
            text += "." + str(fraction).rjust(digits, "0")
        return text + ("Z" if arrow_type.tz is not None else "")
    if pa.types.is_floating(arrow_type):
        return float(value)
    return value


def write(name, table, **options):
    pq.write_table(table, out / f"{name}.parquet", **options)
    rows = [{f.name: jsonable(row[f.name], f.type) for f in table.schema} for row in table.to_pylist()]
    (out / f"{name}.expected.json").write_text(json.dumps(rows, ensure_ascii=False))


# --- primitives: every codec, both data page versions, dictionary or plain ------------
N = 300
primitives = pa.table({
    "i32": pa.array([None if i % 7 == 3 else (i * 37) % 1000 - 500 for i in range(N)], pa.int32()),
    "i64": pa.array([i * 10_000_000_019 - 2**40 for i in range(N)], pa.int64()),
    "f32": pa.array([i / 8 - 3.3 for i in range(N)], pa.float32()),
    "f64": pa.array([None if i % 5 == 0 else i * 0.1 + 1e-9 for i in range(N)], pa.float64()),
    "flag": pa.array([None if i % 11 == 0 else i % 3 == 0 for i in range(N)], pa.bool_()),
    "text": pa.array([None if i % 13 == 0 else ["alpha", "βeta", "gamma 🎲", ""][i % 4] + str(i % 17) for i in range(N)], pa.string()),
    "bin": pa.array([bytes([i % 256, 255, 0]) if i % 2 else b"plain" for i in range(N)], pa.binary()),
}, schema=pa.schema([
    pa.field("i32", pa.int32()), pa.field("i64", pa.int64(), nullable=False), pa.field("f32", pa.float32()),
    pa.field("f64", pa.float64()), pa.field("flag", pa.bool_()), pa.field("text", pa.string()), pa.field("bin", pa.binary()),
]))
for codec in ("none", "snappy", "gzip", "zstd"):
    for version in ("1.0", "2.0"):
        for dictionary in (True, False):
            name = f"primitives-{codec}-v{version[0]}-{'dict' if dictionary else 'plain'}"
            write(name, primitives, compression=codec, data_page_version=version, use_dictionary=dictionary,
                  row_group_size=128, data_page_size=512)

# --- nested: lists, structs, lists of structs, maps, lists of lists -------------------
message = pa.struct([("role", pa.string()), ("content", pa.string())])
nested_schema = pa.schema([
    ("id", pa.int64()),
    ("tags", pa.list_(pa.string())),
    ("scores", pa.list_(pa.field("item", pa.int32(), nullable=False))),
    ("meta", pa.struct([("source", pa.string()), ("difficulty", pa.int32())])),
    ("messages", pa.list_(message)),
    ("counts", pa.map_(pa.string(), pa.int32())),
    ("grid", pa.list_(pa.list_(pa.int32()))),
])
nested_rows = [
    {"id": 0, "tags": ["a", "b"], "scores": [1, 2, 3], "meta": {"source": "web", "difficulty": 2},
     "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
     "counts": [("x", 1), ("y", 2)], "grid": [[1, 2], [3]]},
    {"id": 1, "tags": [], "scores": None, "meta": None, "messages": [], "counts": None, "grid": [[], None, [4]]},
    {"id": 2, "tags": None, "scores": [], "meta": {"source": None, "difficulty": None},
     "messages": [{"role": "user", "content": None}, None], "counts": [], "grid": None},
    {"id": 3, "tags": [None, "c"], "scores": [7], "meta": {"source": "book", "difficulty": 5},
     "messages": None, "counts": [("z", None)], "grid": [[None]]},
]
nested = pa.Table.from_pylist(nested_rows * 40, schema=nested_schema)
write("nested-v1", nested, compression="snappy", row_group_size=64, data_page_size=256)
write("nested-v2", nested, compression="zstd", data_page_version="2.0", use_dictionary=False, data_page_size=256)

# --- logical types -------------------------------------------------------------------
logical = pa.table({
    "day": pa.array([dt.date(1970, 1, 1), dt.date(2024, 2, 29), dt.date(1969, 12, 31), None], pa.date32()),
    "ms": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 123000), dt.datetime(1999, 12, 31, 23, 59, 59), None,
                    dt.datetime(1960, 6, 1, 0, 0, 0, 1000)], pa.timestamp("ms")),
    "us_utc": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc), None,
                        dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2030, 7, 8, 9, 10, 11, 12, tzinfo=dt.timezone.utc)],
                       pa.timestamp("us", tz="UTC")),
    "u8": pa.array([0, 255, None, 7], pa.uint8()),
    "u32": pa.array([0, 4_294_967_295, 1, None], pa.uint32()),
    "u64": pa.array([0, 2**63 - 1, 5, None], pa.uint64()),
    "i8": pa.array([-128, 127, None, 0], pa.int8()),
    "fixed": pa.array([b"abcd", bytes([0, 1, 2, 250]), None, b"wxyz"], pa.binary(4)),
})
write("logical", logical)

# --- the other encodings ----------------------------------------------------------------
M = 1000
encodings = pa.table({
    "delta_i32": pa.array([(i * 7919) % 2000 - 1000 if i % 9 else None for i in range(M)], pa.int32()),
    "delta_i64": pa.array([i * i * 1_000_003 - 5 for i in range(M)], pa.int64()),
    "delta_len": pa.array([f"item-{i}" * (i % 4) for i in range(M)], pa.string()),
    "delta_bytes": pa.array([f"common/prefix/{i // 10}/{i}" for i in range(M)], pa.string()),
    "split_f32": pa.array([i * 0.25 - 100 for i in range(M)], pa.float32()),
    "split_f64": pa.array([None if i % 4 == 0 else i / 3 for i in range(M)], pa.float64()),
})
write("encodings", encodings, use_dictionary=False, compression="snappy", data_page_size=1024,
      column_encoding={"delta_i32": "DELTA_BINARY_PACKED", "delta_i64": "DELTA_BINARY_PACKED",
                       "delta_len": "DELTA_LENGTH_BYTE_ARRAY", "delta_bytes": "DELTA_BYTE_ARRAY",
                       "split_f32": "BYTE_STREAM_SPLIT", "split_f64": "BYTE_STREAM_SPLIT"})
write("encodings-v2", encodings, use_dictionary=False, compression="gzip", data_page_version="2.0",
      column_encoding={"delta_i32": "DELTA_BINARY_PACKED", "delta_i64": "DELTA_BINARY_PACKED",
                       "delta_len": "DELTA_LENGTH_BYTE_ARRAY", "delta_bytes": "DELTA_BYTE_ARRAY",
                       "split_f32": "BYTE_STREAM_SPLIT", "split_f64": "BYTE_STREAM_SPLIT"})

# --- a codec the reader refuses (LZ4) --------------------------------------------------
pq.write_table(pa.table({"x": [1, 2]}), out / "lz4.parquet", compression="lz4")

# --- a dataset in the Hub's layout, for the cache tests ---------------------------------
qa = pa.table({"question": ["1+1?", "2+2?", "3+3?"], "answer": ["2", "4", "6"]})
pq.write_table(qa, out / "hub-train-00000-of-00001.parquet")
print(out)
