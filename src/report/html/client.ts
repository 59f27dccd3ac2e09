/**
 * The HTML report's client script, inlined into the page. Plain ES2017, no
 * dependency: it reads the embedded page data (html.ts `PageData`) and draws
 * every time-axis view as SVG (timeline lanes, size history, in-flight
 * depth), all on one shared time range that zoom and pan move together.
 * Strings from the capture only ever reach the DOM through textContent or
 * setAttribute, never as markup.
 *
 * Kept as a string module so the page needs no build step and the script's
 * CSP hash is computed from exactly what is inlined. No backticks or
 * template placeholders inside, but one: the byte and duration formatters
 * are model/format.ts's own, their source and style tables (PAGE_FORMATTERS).
 */
import { BYTE_STYLES, DURATION_STYLES, formatBytes, formatDuration } from '../../model/format.js';

/** `formatBytes` and `formatDuration` for the page: the functions' source with the style tables they read. */
export const PAGE_FORMATTERS = [
  `var BYTE_STYLES = ${JSON.stringify(BYTE_STYLES)};`,
  `var DURATION_STYLES = ${JSON.stringify(DURATION_STYLES)};`,
  formatBytes.toString(),
  formatDuration.toString(),
].join('\n');

export const CLIENT_JS = String.raw`(function () {
'use strict';
var DATA = JSON.parse(document.getElementById('fusetrace-data').textContent);
var NS = 'http://www.w3.org/2000/svg';
var GUTTER = 132, RIGHT = 14, AXIS = 22, STRIP = 22, SIZE_H = 130, INFL_H = 70;
var span = DATA.span;
var view = { t0: DATA.view ? DATA.view[0] : span.startT, t1: DATA.view ? DATA.view[1] : span.endT };
var MIN_RANGE = 1000;
var focus = null;
var pending = false;

${PAGE_FORMATTERS}
function fmtNs(ns) { return formatDuration(ns, 'page'); }
function fmtInt(n) { return Number(n).toLocaleString('en-US'); }
function fmtBytes(n) { return formatBytes(n, 'page'); }
function el(name, attrs, parent) {
  var e = document.createElementNS(NS, name);
  if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
  if (parent) parent.appendChild(e);
  return e;
}
function txt(parent, x, y, s, anchor) {
  var t = el('text', { x: x, y: y }, parent);
  if (anchor) t.setAttribute('text-anchor', anchor);
  t.textContent = s;
  return t;
}
function connInfo(c) {
  for (var i = 0; i < DATA.conns.length; i++) if (DATA.conns[i].conn === c) return DATA.conns[i];
  return { conn: c, name: 'conn ' + c, color: '#888' };
}
function plotWidth(container) {
  return Math.max(200, (container.clientWidth || 800) - GUTTER - RIGHT);
}
function scaleX(w) {
  var k = w / Math.max(1, view.t1 - view.t0);
  return function (t) { return GUTTER + (t - view.t0) * k; };
}
function clampX(px, w) { return Math.max(GUTTER - 4, Math.min(GUTTER + w + 4, px)); }
function niceStep(range, n) {
  var raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
function drawAxis(svg, w, y, h) {
  var g = el('g', { 'class': 'axis' }, svg);
  var x = scaleX(w);
  var step = niceStep(view.t1 - view.t0, Math.max(2, Math.floor(w / 110)));
  var first = Math.ceil((view.t0 - span.startT) / step) * step + span.startT;
  for (var t = first; t <= view.t1; t += step) {
    var px = x(t);
    el('line', { x1: px, x2: px, y1: y, y2: y + h }, g);
    if (px < GUTTER + w - 44) txt(g, px + 2, y + 12, fmtNs(t - span.startT));
  }
}
function clipRect(svg, id, y, w, h) {
  var d = el('defs', null, svg);
  var c = el('clipPath', { id: id }, d);
  el('rect', { x: GUTTER, y: y, width: w, height: h }, c);
  return 'url(#' + id + ')';
}

// ------------------------------------------------------------ legend
function drawLegend() {
  var L = document.getElementById('legend');
  if (!L) return;
  function key(color, label, style) {
    var s = document.createElement('span');
    s.className = 'k';
    var sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    if (style) sw.setAttribute('style', sw.getAttribute('style') + ';' + style);
    s.appendChild(sw);
    s.appendChild(document.createTextNode(label));
    L.appendChild(s);
  }
  DATA.ops.forEach(function (o) { key(o.color, o.name); });
  key('#fff', 'in a finding', 'outline:2px solid #dc2626');
  key('#999', 'no reply (to end of capture)', 'opacity:.55');
  key('#fff', 'error reply', 'outline:1px dashed #7f1d1d');
  key('#111', 'daemon_size');
  DATA.conns.forEach(function (c) { key(c.color, 'kernel_size, conn ' + c.conn + ' (' + c.name + ')'); });
  key('#dc2626', 'truncate');
}

// ------------------------------------------------------------ one file group
function drawGroup(gi) {
  var g = DATA.groups[gi];
  var sec = document.getElementById(g.id);
  var plot = sec.querySelector('.plot');
  var w = plotWidth(plot);
  var x = scaleX(w);
  var totalLanes = 0;
  g.lanes.forEach(function (n) { totalLanes += n; });
  var lh = Math.max(3, Math.min(16, Math.floor(360 / Math.max(1, totalLanes))));
  var y = AXIS;
  var stripY = y;
  if (g.density) y += STRIP + 4;
  var laneTop = [];
  var blockTop = [];
  var laneBase = 0;
  g.conns.forEach(function (c, k) {
    blockTop.push(y);
    for (var l = 0; l < g.lanes[k]; l++) laneTop[laneBase + l] = y + l * lh;
    laneBase += g.lanes[k];
    y += Math.max(1, g.lanes[k]) * lh + 8;
  });
  var lanesEnd = y;
  var sizeY = y + 6;
  var hasSizes = g.sizes.length > 0;
  var H = hasSizes ? sizeY + SIZE_H + 20 : lanesEnd + 4;

  var svg = el('svg', { width: w + GUTTER + RIGHT, height: H, viewBox: '0 0 ' + (w + GUTTER + RIGHT) + ' ' + H, 'data-group': g.id });
  drawAxis(svg, w, 4, H - 8);
  var clip = clipRect(svg, g.id + '-clip', 0, w, H);

  // density strip: every exchange of the file per time slice
  if (g.density) {
    var d = g.density, maxc = 1;
    d.counts.forEach(function (n) { if (n > maxc) maxc = n; });
    var sg = el('g', { 'clip-path': clip, 'class': 'density' }, svg);
    for (var i = 0; i < d.counts.length; i++) {
      if (!d.counts[i]) continue;
      var t = d.t0 + i * d.width;
      if (t + d.width < view.t0 || t > view.t1) continue;
      var x0 = x(t), x1 = x(t + d.width), hh = Math.max(1, STRIP * d.counts[i] / maxc);
      el('rect', { x: x0, y: stripY + STRIP - hh, width: Math.max(1, x1 - x0), height: hh, fill: '#9ca3af' }, sg);
    }
    txt(svg, 4, stripY + 14, 'all ' + fmtInt(g.all)).setAttribute('class', 'density-label');
  }
  // lane blocks, one per connection
  g.conns.forEach(function (c, k) {
    var ci = connInfo(c);
    el('rect', { x: 2, y: blockTop[k], width: 4, height: Math.max(1, g.lanes[k]) * lh, fill: ci.color }, svg);
    txt(svg, 10, blockTop[k] + Math.min(12, Math.max(1, g.lanes[k]) * lh), 'conn ' + c + ' ' + ci.name).setAttribute('data-conn-label', c);
    if (g.lanes[k] > 1) txt(svg, 10, blockTop[k] + Math.min(24, g.lanes[k] * lh), g.lanes[k] + ' lanes').setAttribute('class', 'dim');
    el('line', { x1: GUTTER, x2: GUTTER + w, y1: blockTop[k] + Math.max(1, g.lanes[k]) * lh + 3, y2: blockTop[k] + Math.max(1, g.lanes[k]) * lh + 3, stroke: '#e5e7eb' }, svg);
  });
  var bg = el('g', { 'clip-path': clip, 'class': 'bars' }, svg);
  var h = Math.max(2, lh - 1);
  var focusSet = focus && focus.group === g.id ? focus.keys : null;
  // Right edge drawn so far per lane: a bar that would land inside it (zoomed
  // far out, many short exchanges per pixel) adds nothing visible and is skipped.
  var covered = [];
  for (var b = 0; b < g.bars.length; b++) {
    var r = g.bars[b];
    if (r[2] < view.t0 || r[1] > view.t1) continue;
    var bx0 = Math.max(GUTTER - 2, x(r[1])), bx1 = Math.min(GUTTER + w + 2, x(r[2]));
    var right = Math.max(bx1, bx0 + 1.5);
    if (!(r[11] & 1) && covered[r[0]] !== undefined && right <= covered[r[0]] + 0.5) continue;
    if (covered[r[0]] === undefined || right > covered[r[0]]) covered[r[0]] = right;
    var cls = 'bar' + (r[11] & 1 ? ' hl' : '') + (r[11] & 2 ? ' open' : '') + (r[7] ? ' err' : '');
    if (focusSet && focusSet[r[4] + ':' + r[5]]) cls += ' focus';
    el('rect', {
      x: bx0, y: laneTop[r[0]], width: Math.max(1.5, bx1 - bx0), height: h,
      fill: DATA.ops[r[3]].color, 'class': cls, 'data-g': gi, 'data-i': b,
      'data-conn': r[4], 'data-unique': r[5], 'data-op': DATA.ops[r[3]].name
    }, bg);
  }
  // finding markers on the axis
  g.findings.forEach(function (fi) {
    var f = findingByIndex(fi);
    if (!f || f.t < view.t0 || f.t > view.t1) return;
    var px = x(f.t);
    el('line', { x1: px, x2: px, y1: AXIS - 6, y2: lanesEnd, stroke: f.severity === 'error' ? '#dc2626' : '#d97706', 'stroke-dasharray': '3 3', 'class': 'fmark' }, svg);
  });
  if (hasSizes) drawSizes(svg, g, w, x, sizeY, clip);
  plot.replaceChildren(svg);
}

function findingByIndex(i) {
  for (var k = 0; k < DATA.findings.length; k++) if (DATA.findings[k].i === i) return DATA.findings[k];
  return null;
}

function drawSizes(svg, g, w, x, top, clip) {
  var max = 1;
  g.sizes.forEach(function (s) { for (var k = 3; k <= 6; k++) if (s[k] !== null && s[k] > max) max = s[k]; });
  max *= 1.08;
  var y = function (v) { return top + SIZE_H - (v / max) * SIZE_H; };
  el('rect', { x: GUTTER, y: top, width: w, height: SIZE_H, fill: '#fafafa', stroke: '#e5e7eb' }, svg);
  txt(svg, 4, top + 12, 'size');
  // Ticks at 0, the middle and the top, whole bytes, each label once (a 1-byte file has two).
  var top = Math.round(max / 1.08), ticks = [0];
  if (Math.round(top / 2) > 0 && Math.round(top / 2) < top) ticks.push(Math.round(top / 2));
  if (top > 0) ticks.push(top);
  ticks.forEach(function (v) {
    txt(svg, GUTTER - 4, y(v) + 4, fmtBytes(v), 'end').setAttribute('class', 'size-tick');
    el('line', { x1: GUTTER, x2: GUTTER + w, y1: y(v), y2: y(v), stroke: '#eeeeee' }, svg);
  });
  var sg = el('g', { 'clip-path': clip, 'class': 'sizes' }, svg);
  function stepPath(points) {
    // points: [t, v|null] in time order; unknown values break the line.
    var d = '', open = false;
    for (var i = 0; i < points.length; i++) {
      var p = points[i], next = i + 1 < points.length ? points[i + 1][0] : span.endT;
      if (p[1] === null) { open = false; continue; }
      if (next < view.t0 || p[0] > view.t1) { open = false; continue; }
      var x0 = clampX(x(p[0]), w), x1 = clampX(x(next), w), yy = y(p[1]);
      d += (open ? ' V ' + yy.toFixed(1) : ' M ' + x0.toFixed(1) + ' ' + yy.toFixed(1)) + ' H ' + x1.toFixed(1);
      open = true;
    }
    return d;
  }
  var daemon = g.sizes.map(function (s) { return [s[0], s[4]]; });
  g.conns.forEach(function (c, k) {
    var pts = g.sizes.filter(function (s) { return s[1] === c; }).map(function (s) { return [s[0], s[3]]; });
    var d = stepPath(pts);
    if (d) el('path', { d: d, fill: 'none', stroke: connInfo(c).color, 'stroke-width': 2, 'stroke-dasharray': k === 0 ? '6 3' : '2 3', 'class': 'kernel-size', 'data-conn': c }, sg);
  });
  var dd = stepPath(daemon);
  if (dd) el('path', { d: dd, fill: 'none', stroke: '#111', 'stroke-width': 1.5, 'class': 'daemon-size' }, sg);
  var lastLabel = -Infinity;
  g.sizes.forEach(function (s) {
    if (s[0] < view.t0 || s[0] > view.t1) return;
    var px = x(s[0]);
    var ev = s[2];
    if (ev === 'truncate' || ev === 'open-trunc') {
      el('line', { x1: px, x2: px, y1: top, y2: top + SIZE_H, stroke: '#dc2626', 'stroke-width': 1.5, 'class': 'mark-truncate' }, sg);
      var v = s[6] !== null ? s[6] : s[4];
      if (v !== null) el('path', { d: 'M ' + (px - 5) + ' ' + (y(v) - 8) + ' h 10 l -5 7 z', fill: '#dc2626' }, sg);
      if (px - lastLabel > 150) {
        txt(sg, px + 3, top + 11, ev + ' conn ' + s[1] + (s[6] !== null ? ' \u2192 ' + fmtBytes(s[6]) : ''));
        lastLabel = px;
      }
    } else if (ev === 'report' && s[5] !== null) {
      el('circle', { cx: px, cy: y(s[5]), r: 3.5, fill: '#fff', stroke: connInfo(s[1]).color, 'stroke-width': 2, 'class': 'mark-report' }, sg);
    } else if (ev === 'inval') {
      el('line', { x1: px, x2: px, y1: top + SIZE_H - 10, y2: top + SIZE_H, stroke: connInfo(s[1]).color, 'stroke-width': 2 }, sg);
    }
  });
}

// ------------------------------------------------------------ in flight per connection
function drawInflight() {
  var box = document.getElementById('inflight-plots');
  if (!box) return;
  var w = plotWidth(box);
  var x = scaleX(w);
  var nodes = [];
  DATA.inflight.forEach(function (c) {
    var ci = connInfo(c.conn);
    var H = INFL_H + AXIS;
    var svg = el('svg', { width: w + GUTTER + RIGHT, height: H, viewBox: '0 0 ' + (w + GUTTER + RIGHT) + ' ' + H, 'data-conn': c.conn });
    drawAxis(svg, w, 2, H - 4);
    var clip = clipRect(svg, 'inf-' + c.conn, 0, w, H);
    txt(svg, 4, AXIS + 10, 'conn ' + c.conn + ' ' + ci.name);
    var peak = Math.max(1, c.peak, c.steps.reduce(function (m, s) { return Math.max(m, s[1]); }, 0));
    txt(svg, 4, AXIS + 24, 'peak ' + peak).setAttribute('class', 'dim');
    var q = c.queue || [];
    if (q.length) {
      var qpeak = q.reduce(function (m, s) { return Math.max(m, s[1], s[2], s[3]); }, 0);
      var wpeak = q.reduce(function (m, s) { return Math.max(m, s[1]); }, 0);
      txt(svg, 4, AXIS + 38, 'waiting peak ' + wpeak).setAttribute('class', 'dim queue-peak');
      peak = Math.max(peak, qpeak);
    }
    var top = AXIS, y = function (v) { return top + INFL_H - 4 - (v / peak) * (INFL_H - 8); };
    // Steps: the depth holds from each step's time to the next one's.
    var d = 'M ' + GUTTER + ' ' + y(0), cur = 0, started = false;
    for (var i = 0; i < c.steps.length; i++) {
      var s = c.steps[i];
      if (s[0] <= view.t0) { cur = s[1]; continue; }
      if (!started) { d += ' V ' + y(cur).toFixed(1); started = true; }
      if (s[0] > view.t1) break;
      d += ' H ' + x(s[0]).toFixed(1) + ' V ' + y(s[1]).toFixed(1);
    }
    if (!started) d += ' V ' + y(cur).toFixed(1);
    d += ' H ' + (GUTTER + w) + ' V ' + y(0) + ' Z';
    el('path', { d: d, fill: ci.color, 'fill-opacity': 0.35, stroke: ci.color, 'clip-path': clip }, svg);
    if (q.length) drawQueue(svg, q, x, y, clip);
    if (c.truncated) txt(svg, GUTTER + 4, H - 4, '(peaks kept; steps thinned to fit the page)');
    nodes.push(svg);
  });
  box.replaceChildren.apply(box, nodes);
}

// The kernel's queue (fusectl samples [t, waiting, max_background, congestion_threshold],
// each holding until the next): waiting as a step line, the two limits dashed.
function drawQueue(svg, q, x, y, clip) {
  var cols = [[1, 'queue-waiting', '#222', null], [3, 'queue-congestion', '#d08000', '6 3'], [2, 'queue-max-background', '#c03030', '2 3']];
  cols.forEach(function (k) {
    var d = '', cur = null;
    for (var i = 0; i < q.length; i++) {
      var s = q[i], v = s[k[0]];
      if (s[0] <= view.t0) { cur = v; continue; }
      if (s[0] > view.t1) break;
      if (d === '') d = cur === null ? 'M ' + x(s[0]).toFixed(1) + ' ' + y(v).toFixed(1) : 'M ' + GUTTER + ' ' + y(cur).toFixed(1) + ' H ' + x(s[0]).toFixed(1) + ' V ' + y(v).toFixed(1);
      else d += ' H ' + x(s[0]).toFixed(1) + ' V ' + y(v).toFixed(1);
      cur = v;
    }
    if (cur === null) return;
    if (d === '') d = 'M ' + GUTTER + ' ' + y(cur).toFixed(1);
    d += ' H ' + x(Math.min(view.t1, span.endT)).toFixed(1);
    var a = { d: d, fill: 'none', stroke: k[2], 'stroke-width': 1.5, 'class': k[1], 'clip-path': clip };
    if (k[3]) a['stroke-dasharray'] = k[3];
    el('path', a, svg);
  });
}

// ------------------------------------------------------------ group captions
function fillInfo() {
  DATA.groups.forEach(function (g) {
    var info = document.getElementById(g.id).querySelector('.ginfo');
    var parts = [];
    parts.push(g.files.map(function (f) { return 'conn ' + f.conn + ' nodeid ' + f.nodeid; }).join(', '));
    var windowed = DATA.filtered;
    if (g.bars.length === g.selected) parts.push(fmtInt(g.selected) + ' exchanges' + (windowed ? ' selected' : ''));
    else parts.push(fmtInt(g.bars.length) + ' of ' + fmtInt(g.selected) + ' exchanges' + (windowed ? ' selected' : '') + ' drawn');
    if (g.all !== g.selected) parts.push(fmtInt(g.all) + ' in the whole capture (grey strip)');
    if (g.findings.length) parts.push(g.findings.length + ' finding' + (g.findings.length > 1 ? 's' : ''));
    parts.push(fmtInt(g.sizesTotal) + ' size events');
    info.textContent = parts.join(' \u00b7 ');
    var notes = [];
    if (g.window) notes.push('Drawn: the exchanges of the findings and the others from ' + fmtNs(g.window[0] - span.startT) + ' to ' + fmtNs(g.window[1] - span.startT) + '; the grey strip counts all ' + fmtInt(g.all) + ' per time slice.');
    if (g.modelTruncated) notes.push('The analysis kept a bounded number of exchanges for this file (' + fmtInt(g.barsTotal) + ' of ' + fmtInt(g.selected) + '); the grey strip counts them all. Narrow with --file, --since, --until to draw them.');
    if (g.sizesTruncated) notes.push('Size history shows ' + fmtInt(g.sizes.length) + ' of ' + fmtInt(g.sizesTotal) + ' events' + (g.sizes.length < g.sizesTotal ? ' (a window around the findings).' : ' (the analysis capped it).'));
    notes.forEach(function (n) {
      var p = document.createElement('p');
      p.className = 'note';
      p.textContent = n;
      info.appendChild(p);
    });
  });
}

// ------------------------------------------------------------ view state
function readout() {
  var r = document.getElementById('range');
  if (!r) return;
  r.textContent = 'showing ' + fmtNs(view.t0 - span.startT) + ' \u2013 ' + fmtNs(view.t1 - span.startT) + ' (' + fmtNs(view.t1 - view.t0) + ') of ' + fmtNs(span.endT - span.startT);
  r.setAttribute('data-t0', String(view.t0));
  r.setAttribute('data-t1', String(view.t1));
}
function drawAll() {
  pending = false;
  for (var i = 0; i < DATA.groups.length; i++) drawGroup(i);
  drawInflight();
  readout();
}
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(drawAll);
}
function setView(t0, t1, now) {
  var full = span.endT - span.startT;
  var r = Math.max(MIN_RANGE, Math.min(full, t1 - t0));
  if (t0 < span.startT) t0 = span.startT;
  if (t0 + r > span.endT) t0 = span.endT - r;
  view.t0 = t0;
  view.t1 = t0 + r;
  if (now) drawAll(); else schedule();
}
function zoomAt(t, factor) {
  setView(t - (t - view.t0) * factor, t + (view.t1 - t) * factor);
}
function timeAt(svg, clientX) {
  var rect = svg.getBoundingClientRect();
  var w = rect.width - GUTTER - RIGHT;
  return view.t0 + ((clientX - rect.left - GUTTER) / Math.max(1, w)) * (view.t1 - view.t0);
}
function mid() { return (view.t0 + view.t1) / 2; }

function bindControls() {
  function on(id, f) { var b = document.getElementById(id); if (b) b.addEventListener('click', f); }
  on('zoom-in', function () { zoomAt(mid(), 0.5); });
  on('zoom-out', function () { zoomAt(mid(), 2); });
  on('pan-left', function () { var r = view.t1 - view.t0; setView(view.t0 - r / 3, view.t1 - r / 3); });
  on('pan-right', function () { var r = view.t1 - view.t0; setView(view.t0 + r / 3, view.t1 + r / 3); });
  on('zoom-reset', function () { focus = null; setView(span.startT, span.endT); });

  var main = document.querySelector('main');
  main.addEventListener('wheel', function (e) {
    var svg = e.target.closest && e.target.closest('.plot svg, #inflight-plots svg');
    if (!svg) return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      zoomAt(timeAt(svg, e.clientX), e.deltaY > 0 ? 1.25 : 0.8);
    } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      var r = view.t1 - view.t0, dt = (e.deltaX / Math.max(1, svg.getBoundingClientRect().width - GUTTER)) * r;
      setView(view.t0 + dt, view.t1 + dt);
    }
  }, { passive: false });
  main.addEventListener('dblclick', function (e) {
    var svg = e.target.closest && e.target.closest('.plot svg, #inflight-plots svg');
    if (!svg) return;
    e.preventDefault();
    zoomAt(timeAt(svg, e.clientX), e.shiftKey ? 2 : 0.5);
  });
  var drag = null;
  main.addEventListener('pointerdown', function (e) {
    var svg = e.target.closest && e.target.closest('.plot svg, #inflight-plots svg');
    if (!svg || e.button !== 0) return;
    drag = { x: e.clientX, t0: view.t0, t1: view.t1, w: svg.getBoundingClientRect().width - GUTTER - RIGHT, svg: svg, moved: false };
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x;
    if (Math.abs(dx) > 2) drag.moved = true;
    if (!drag.moved) return;
    var dt = (-dx / Math.max(1, drag.w)) * (drag.t1 - drag.t0);
    setView(drag.t0 + dt, drag.t1 + dt);
  });
  window.addEventListener('pointerup', function () { drag = null; });

  // tooltip
  var tip = document.getElementById('tip');
  main.addEventListener('mousemove', function (e) {
    var r = e.target.closest && e.target.closest('rect.bar');
    if (!r) { tip.hidden = true; return; }
    var g = DATA.groups[+r.getAttribute('data-g')];
    var b = g.bars[+r.getAttribute('data-i')];
    tip.textContent = describe(b);
    tip.hidden = false;
    var tx = Math.min(e.clientX + 14, window.innerWidth - 470);
    tip.style.left = Math.max(0, tx) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  });
  main.addEventListener('mouseleave', function () { tip.hidden = true; });

  // finding links: zoom to the involved exchanges and scroll them into view
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a.goto[data-finding]');
    if (!a) return;
    e.preventDefault();
    showFinding(+a.getAttribute('data-finding'));
  });
  window.addEventListener('resize', schedule);
}

function describe(b) {
  var op = DATA.ops[b[3]].name;
  var lines = [op + ' #' + b[5] + '  conn ' + b[4] + ' (' + connInfo(b[4]).name + ')  tid ' + b[6]];
  if (b[8] !== null || b[9] !== null) lines.push('offset ' + fmtBytes(b[8]) + ' (' + b[8] + ')  size ' + fmtBytes(b[9]) + ' (' + b[9] + ')');
  lines.push('at ' + fmtNs(b[1] - span.startT) + ', ' + (b[11] & 2 ? 'no reply by the end of the capture' : 'took ' + fmtNs(b[2] - b[1])));
  if (b[7]) lines.push('error ' + b[7]);
  if (b[10]) lines.push(b[10]);
  if (b[11] & 1) lines.push('involved in a finding');
  return lines.join('\n');
}

function showFinding(i) {
  var f = findingByIndex(i);
  if (!f) return;
  var g = null;
  for (var k = 0; k < DATA.groups.length; k++) if (DATA.groups[k].id === f.group) g = DATA.groups[k];
  var keys = {}, lo = Infinity, hi = -Infinity, n = 0;
  f.bars.forEach(function (key) { keys[key] = true; });
  if (g) g.bars.forEach(function (b) {
    if (!keys[b[4] + ':' + b[5]]) return;
    n++;
    if (b[1] < lo) lo = b[1];
    if (b[2] > hi) hi = b[2];
  });
  if (n === 0) { lo = f.t; hi = f.t; }
  var r = Math.max(hi - lo, (span.endT - span.startT) / 200, MIN_RANGE);
  focus = g ? { group: g.id, keys: keys, finding: i } : null;
  setView(lo - r * 0.35, hi + r * 0.35, true);
  var target = g ? (document.querySelector('#' + g.id + ' rect.bar.focus') || document.getElementById(g.id)) : document.getElementById('inflight');
  if (target) target.scrollIntoView({ block: g && n > 0 ? 'center' : 'start' });
  if (history.replaceState) history.replaceState(null, '', '#' + (g ? g.id : 'inflight'));
}

drawLegend();
fillInfo();
bindControls();
drawAll();
document.documentElement.setAttribute('data-ready', '1');
})();
`;
