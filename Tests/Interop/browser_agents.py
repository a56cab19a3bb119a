"""Agents for the browser environment that read only what an agent sees: the goal and the
accessibility-tree text (`axtree_txt`, one `[bid] role 'name'` per line).

`scripted_action(task, goal, axtree, step)` solves a handful of MiniWoB++ tasks from the
goal's words; `random_action(axtree, rng)` clicks, types or scrolls at random, for the
baseline. Neither sees the page's reward state: the reward comes from the page.
"""

from __future__ import annotations

import random
import re
from typing import List, Optional, Tuple

LINE = re.compile(r"^(\t*)\[(\w+)\] (\S+)(?: '((?:[^'\\]|\\.)*)'| \"((?:[^\"\\]|\\.)*)\")?(.*)$")


def nodes(axtree: str) -> List[Tuple[str, str, str, str]]:
    """(bid, role, name, rest) for every line with a bid."""
    out = []
    for line in axtree.splitlines():
        m = LINE.match(line)
        if m:
            name = m.group(4) if m.group(4) is not None else (m.group(5) or "")
            out.append((m.group(2), m.group(3), name.replace("\\'", "'").replace('\\"', '"'), m.group(6)))
    return out


def first(axtree: str, role: str, name: Optional[str] = None) -> Optional[str]:
    for bid, r, n, _ in nodes(axtree):
        if r == role and (name is None or n.strip().lower() == name.strip().lower()):
            return bid
    return None


def quoted(goal: str) -> List[str]:
    return re.findall(r'"([^"]*)"', goal)


def scripted_actions(task: str, obs: dict) -> List[str]:
    """The whole plan for one episode, from the first observation."""
    goal, axtree = obs["goal"], obs["axtree_txt"]
    q = lambda s: repr(s)  # noqa: E731 - Python literals, as BrowserGym action strings are
    if task == "click-test":
        return [f"click({q(first(axtree, 'button', 'Click Me!'))})"]
    if task == "click-test-2":
        m = re.search(r"Click button (\w+)", goal)
        return [f"click({q(first(axtree, 'button', m.group(1) if m else None))})"]
    if task == "click-button":
        return [f"click({q(first(axtree, 'button', quoted(goal)[0]))})"]
    if task == "click-link":
        # MiniWoB's links are <span class="alink">: text in the accessibility tree, so the
        # element comes from the pruned HTML (as a BrowserGym agent that reads both would).
        want = quoted(goal)[0]
        m = re.search(r'<span bid="(\w+)" class="alink">' + re.escape(want) + "</span>", obs["pruned_html"])
        return [f"click({q(m.group(1) if m else first(axtree, 'link', want))})"]
    if task == "focus-text":
        return [f"focus({q(first(axtree, 'textbox'))})", "click(" + q(first(axtree, "textbox")) + ")"]
    if task in ("enter-text", "enter-password"):
        want = quoted(goal)[0]
        boxes = [bid for bid, r, _, _ in nodes(axtree) if r == "textbox"]
        return [f"fill({q(b)}, {q(want)})" for b in boxes] + [f"click({q(first(axtree, 'button', 'Submit'))})"]
    if task == "click-checkboxes":
        m = re.search(r"Select (.*) and click Submit", goal)
        words = [w.strip() for w in m.group(1).split(", ")] if m else []
        if words == ["nothing"]:
            words = []
        plan = []
        for bid, role, name, _ in nodes(axtree):
            if role == "checkbox" and name.strip() in words:
                plan.append(f"click({q(bid)})")
        if not any("checkbox" in r for _, r, _, _ in nodes(axtree)) or len(plan) != len(words):
            # the checkbox's name comes from its label text: fall back to the label nodes
            plan = [f"click({q(bid)})" for bid, role, name, _ in nodes(axtree) if role == "LabelText" and name.strip() in words]
        return plan + [f"click({q(first(axtree, 'button', 'Submit'))})"]
    if task == "click-option":
        m = re.search(r'Select (.*) and click Submit', goal)
        want = m.group(1).strip() if m else ""
        bid = first(axtree, "radio", want) or first(axtree, "LabelText", want)
        return [f"click({q(bid)})", f"click({q(first(axtree, 'button', 'Submit'))})"]
    if task == "login-user":
        m = re.search(r'username "([^"]*)" and the password "([^"]*)"', goal) or re.search(r'username (\S+) and the password (\S+)', goal)
        boxes = [bid for bid, r, _, _ in nodes(axtree) if r == "textbox"]
        user, password = (m.group(1), m.group(2)) if m else ("", "")
        return [f"fill({q(boxes[0])}, {q(user)})", f"fill({q(boxes[1])}, {q(password)})",
                f"click({q(first(axtree, 'button', 'Login'))})"]
    if task == "click-dialog":
        bid = first(axtree, "button", "Close") or first(axtree, "button", "×")
        return [f"click({q(bid)})"]
    raise KeyError(task)


def random_action(axtree: str, rng: random.Random) -> str:
    """A uniformly chosen action over the page's elements."""
    ns = nodes(axtree)
    kind = rng.choice(["click", "click", "click", "fill", "scroll", "noop"])
    if kind == "scroll":
        return f"scroll(0, {rng.choice([-200, 200])})"
    if kind == "noop" or not ns:
        return "noop(0)"
    bid = rng.choice(ns)[0]
    if kind == "fill":
        return f"fill({bid!r}, {rng.choice(['abc', 'hello', '42'])!r})"
    return f"click({bid!r})"
