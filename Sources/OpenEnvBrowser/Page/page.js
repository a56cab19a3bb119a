// Page-side helpers of the browser environment. BrowserSession evaluates
// `(function (op, args) { <this file> })(OP, ARGS)` in the page's main world through
// Runtime.evaluate: nothing here stays in the page except the `bid` attributes.
// Returns a JSON-able value, or {error: message} for an action that cannot be done.
var doc = document;

function allElements() {
  return Array.prototype.slice.call(doc.querySelectorAll('*'));
}

// BrowserGym-style element ids: every element gets a `bid` attribute, kept across steps.
function mark() {
  var elements = allElements();
  var next = 0;
  elements.forEach(function (el) {
    var b = parseInt(el.getAttribute('bid'), 10);
    if (!isNaN(b) && b >= next) next = b + 1;
  });
  elements.forEach(function (el) {
    if (!el.hasAttribute('bid')) el.setAttribute('bid', String(next++));
  });
  return next;
}

function find(bid) {
  var el = doc.querySelector('[bid="' + String(bid).replace(/["\\]/g, '') + '"]');
  if (!el) throw new Error('Could not find element with bid "' + bid + '"');
  return el;
}

function box(el) {
  var r = el.getBoundingClientRect();
  var visible = r.width > 0 && r.height > 0;
  if (visible && (r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth)) {
    el.scrollIntoView({block: 'center', inline: 'center'});
    r = el.getBoundingClientRect();
  }
  var style = getComputedStyle(el);
  return {
    x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width, height: r.height,
    visible: visible && style.visibility !== 'hidden' && style.display !== 'none',
    tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), disabled: !!el.disabled
  };
}

function locate(args) {
  var el = find(args.bid);
  var b = box(el);
  if (!b.visible) throw new Error('Element with bid "' + args.bid + '" is not visible');
  return b;
}

function focus(args) {
  var el = find(args.bid);
  el.focus();
  return true;
}

var unfillable = ['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'image', 'range', 'color'];

// Focuses a text field and selects its content, so typed text replaces it.
function prepareFill(args) {
  var el = find(args.bid);
  var tag = el.tagName.toLowerCase();
  if (tag === 'input') {
    if (unfillable.indexOf((el.type || '').toLowerCase()) >= 0) throw new Error('Input of type "' + el.type + '" cannot be filled');
  } else if (tag !== 'textarea' && !el.isContentEditable) {
    throw new Error('Element is not an <input>, <textarea> or [contenteditable] element');
  }
  if (el.disabled || el.readOnly) throw new Error('Element is not editable');
  el.focus();
  if (tag === 'input' || tag === 'textarea') {
    el.select();
  } else {
    var range = doc.createRange();
    range.selectNodeContents(el);
    var sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  var current = (tag === 'input' || tag === 'textarea') ? el.value : el.textContent;
  return {empty: current.length === 0};
}

function selectOption(args) {
  var el = find(args.bid);
  if (el.tagName.toLowerCase() !== 'select') throw new Error('Element is not a <select> element');
  var wanted = args.options;
  var matched = 0;
  Array.prototype.forEach.call(el.options, function (o) {
    var hit = wanted.indexOf(o.value) >= 0 || wanted.indexOf(o.label) >= 0 || wanted.indexOf(o.textContent.trim()) >= 0;
    if (hit) matched++;
    if (el.multiple) o.selected = hit; else if (hit && matched === 1) el.value = o.value;
  });
  if (matched === 0) throw new Error('No option matches ' + JSON.stringify(wanted));
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
}

var keptAttributes = ['bid', 'id', 'type', 'name', 'value', 'placeholder', 'href', 'title', 'alt', 'role', 'for',
  'aria-label', 'aria-checked', 'aria-selected', 'aria-expanded', 'checked', 'selected', 'disabled', 'class'];
var droppedTags = ['script', 'style', 'meta', 'link', 'noscript', 'template', 'svg', 'canvas'];
var droppedIds = ['reward-display', 'click-canvas'];
var voidTags = ['br', 'hr', 'img', 'input', 'area', 'col', 'embed', 'source', 'track', 'wbr'];

// The body as compact HTML: only elements that are shown, a few attributes, live values.
function prunedHTML() {
  function attr(v) { return String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;'); }
  function text(v) { return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;'); }
  function walk(node) {
    if (node.nodeType === 3) {
      var t = node.data.replace(/\s+/g, ' ');
      return t.trim() ? text(t) : '';
    }
    if (node.nodeType !== 1) return '';
    var tag = node.tagName.toLowerCase();
    if (droppedTags.indexOf(tag) >= 0 || droppedIds.indexOf(node.id) >= 0) return '';
    var style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') return '';
    var out = '<' + tag;
    keptAttributes.forEach(function (a) {
      var v = null;
      if (a === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) v = node.value;
      else if (a === 'checked' && tag === 'input') v = node.checked ? '' : null;
      else if (a === 'selected' && tag === 'option') v = node.selected ? '' : null;
      else if (node.hasAttribute(a)) v = node.getAttribute(a);
      if (v !== null && v !== undefined && !(a === 'value' && v === '')) out += v === '' ? ' ' + a : ' ' + a + '="' + attr(v) + '"';
    });
    out += '>';
    if (voidTags.indexOf(tag) >= 0) return out;
    Array.prototype.forEach.call(node.childNodes, function (c) { out += walk(c); });
    return out + '</' + tag + '>';
  }
  return doc.body ? walk(doc.body) : '';
}

// MiniWoB++: seed the task's generator, start the episode, hide the human-only display.
function miniwobStart(args) {
  if (typeof core === 'undefined' || typeof Math.seedrandom !== 'function') throw new Error('not a MiniWoB++ page (core.js is missing)');
  Math.seedrandom(args.seed);
  core.startEpisodeReal();
  var style = doc.createElement('style');
  style.textContent = '#reward-display, #click-canvas { display: none !important; }';
  doc.head.appendChild(style);
  return true;
}

function miniwobReady() {
  return typeof WOB_TASK_READY === 'undefined' ? true : !!WOB_TASK_READY;
}

function miniwobUtterance() {
  return core.getUtterance();
}

// The page's own reward state (core.js), or null when this is not a MiniWoB page.
function miniwobState() {
  if (typeof core === 'undefined' || typeof WOB_DONE_GLOBAL === 'undefined') return null;
  return {reward: WOB_REWARD_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL, reason: WOB_REWARD_REASON == null ? null : String(WOB_REWARD_REASON),
          done: !!WOB_DONE_GLOBAL, episode: WOB_EPISODE_ID};
}

function settle() {
  return new Promise(function (resolve) { requestAnimationFrame(function () { setTimeout(function () { resolve(true); }, 0); }); });
}

// A PNG (base64) as [height][width][r, g, b], decoded by the browser's own image decoder.
function pixels(args) {
  var bytes = Uint8Array.from(atob(args.png), function (c) { return c.charCodeAt(0); });
  return createImageBitmap(new Blob([bytes], {type: 'image/png'})).then(function (bitmap) {
    var canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    var context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    var data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    var rows = new Array(bitmap.height);
    for (var y = 0; y < bitmap.height; y++) {
      var row = new Array(bitmap.width);
      for (var x = 0; x < bitmap.width; x++) {
        var i = (y * bitmap.width + x) * 4;
        row[x] = [data[i], data[i + 1], data[i + 2]];
      }
      rows[y] = row;
    }
    return rows;
  });
}

var ops = {mark: mark, locate: locate, focus: focus, prepareFill: prepareFill, selectOption: selectOption, prunedHTML: prunedHTML,
           miniwobStart: miniwobStart, miniwobReady: miniwobReady, miniwobUtterance: miniwobUtterance, miniwobState: miniwobState,
           settle: settle, pixels: pixels, readyState: function () { return doc.readyState; }, url: function () { return location.href; }};
try {
  return ops[op](args);
} catch (e) {
  return {error: String(e && e.message || e)};
}
