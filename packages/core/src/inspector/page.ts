// The inspector page: one self-contained HTML document (plain DOM scripting, no library, no build
// step), talking to the JSON API beside it with relative URLs, so it works at `/` (captun <port>)
// and at `/__captun/` (dev servers) alike.
export const INSPECTOR_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>captun inspector</title>
<style>
  :root { color-scheme: light dark; --line: #8884; --dim: #888; --accent: #2a7; --bad: #d33; font: 13px/1.4 system-ui, sans-serif; }
  body { margin: 0; display: grid; grid-template-columns: minmax(320px, 40%) 1fr; height: 100vh; }
  header { grid-column: 1 / -1; display: flex; gap: 8px; align-items: center; padding: 6px 10px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
  header h1 { font-size: 14px; margin: 0 8px 0 0; }
  body > header ~ * { overflow: auto; height: calc(100vh - 42px); }
  input, select, button, textarea { font: inherit; }
  table { border-collapse: collapse; width: 100%; }
  #list td { padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; cursor: pointer; }
  #list tr.selected td { background: #2a73; }
  #list td.path { max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
  .s2 { color: var(--accent); } .s4, .s5, .err { color: var(--bad); } .dim { color: var(--dim); }
  .badge { font-size: 11px; border: 1px solid var(--line); border-radius: 8px; padding: 0 5px; margin-left: 4px; }
  #detail { padding: 10px; border-left: 1px solid var(--line); }
  #detail h2 { font-size: 14px; margin: 0 0 6px; word-break: break-all; }
  #detail h3 { font-size: 12px; text-transform: uppercase; color: var(--dim); margin: 12px 0 4px; }
  .headers td { padding: 1px 6px; vertical-align: top; word-break: break-all; } .headers td:first-child { color: var(--dim); white-space: nowrap; }
  pre { margin: 0; padding: 6px; background: #8881; white-space: pre-wrap; word-break: break-all; max-height: 50vh; overflow: auto; }
  .actions { display: flex; gap: 6px; flex-wrap: wrap; margin: 8px 0; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
  #edit-form { display: grid; gap: 4px; border: 1px solid var(--line); padding: 8px; margin: 8px 0; }
  #edit-form textarea { min-height: 80px; font-family: ui-monospace, monospace; }
  img.preview { max-width: 100%; max-height: 300px; }
</style>
</head>
<body>
<header>
  <h1>captun inspector</h1>
  <input id="filter-path" placeholder="path contains…" size="18">
  <select id="filter-method"><option value="">any method</option><option>GET</option><option>POST</option><option>PUT</option><option>PATCH</option><option>DELETE</option><option>HEAD</option><option>OPTIONS</option></select>
  <select id="filter-status"><option value="">any status</option><option value="2">2xx</option><option value="3">3xx</option><option value="4">4xx</option><option value="5">5xx</option><option value="pending">pending</option></select>
  <label><input type="checkbox" id="reveal"> reveal secrets</label>
  <a id="har" href="api/har" download="captun.har">Export HAR</a>
  <button id="clear">Clear</button>
  <span id="state" class="dim"></span>
</header>
<div><table id="list"><tbody></tbody></table><p id="empty" class="dim" style="padding:10px">Waiting for requests through the tunnel…</p></div>
<section id="detail"><p class="dim">Select a request.</p></section>
<script>
"use strict";
const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, props = {}, ...children) => { const node = Object.assign(document.createElement(tag), props); node.append(...children.filter((c) => c != null)); return node; };
let rows = [], selected = null, comparing = null, showing = 0;
const reveal = () => ($("#reveal").checked ? "?reveal=1" : "");

async function api(path, init) {
  const response = await fetch(path + (path.includes("?") ? "" : reveal()), init);
  if (!response.ok) throw new Error(await response.text());
  return response.status === 204 ? null : response.json();
}

async function refresh() {
  rows = await api("api/requests");
  renderList();
}

function matches(row) {
  const path = $("#filter-path").value, method = $("#filter-method").value, status = $("#filter-status").value;
  if (path && !row.path.includes(path)) return false;
  if (method && row.method !== method) return false;
  if (status === "pending") return row.status === null;
  if (status && String(row.status ?? "")[0] !== status) return false;
  return true;
}

function renderList() {
  const body = $("#list tbody");
  body.replaceChildren(...rows.filter(matches).map((row) => {
    const tr = el("tr", { className: row.id === selected ? "selected" : "" },
      el("td", { className: "dim", textContent: "#" + row.id }),
      el("td", { textContent: row.method }),
      el("td", { className: "path", title: row.path, textContent: row.path },
        row.replayOf ? el("span", { className: "badge", textContent: "replay of #" + row.replayOf }) : null,
        row.deliveredLate ? el("span", { className: "badge", title: "arrived " + row.deliveredLate.arrivedAt, textContent: "delivered late" }) : null),
      el("td", { className: "s" + String(row.status ?? "")[0] + (row.outcome === "error" ? " err" : ""), textContent: row.status ?? row.outcome }),
      el("td", { className: "dim", textContent: row.durationMs === null ? "…" : row.durationMs + " ms" }),
      el("td", { className: "dim", textContent: new Date(row.startedAt).toLocaleTimeString() }));
    tr.dataset.id = row.id;
    tr.onclick = () => show(row.id);
    return tr;
  }));
  $("#empty").hidden = rows.length > 0;
}

function bytesOf(body) {
  if (body.encoding === "utf8") return new TextEncoder().encode(body.text);
  const binary = atob(body.text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function hexDump(bytes) {
  const lines = [];
  for (let i = 0; i < Math.min(bytes.length, 64 * 1024); i += 16) {
    const slice = [...bytes.subarray(i, i + 16)];
    lines.push(i.toString(16).padStart(8, "0") + "  " + slice.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(48) + "  " + slice.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join(""));
  }
  return lines.join("\\n");
}

function headerValue(headers, name) { const found = headers.find(([key]) => key.toLowerCase() === name); return found ? found[1] : ""; }

function bodyNode(body, headers) {
  if (!body) return el("p", { className: "dim", textContent: "no body" });
  const type = headerValue(headers, "content-type");
  const note = el("p", { className: "dim", textContent: body.size + " bytes" + (body.truncated ? " — truncated, first " + body.captured + " captured" : "") });
  let view;
  if (/^image\\//.test(type) && !body.truncated) {
    const url = URL.createObjectURL(new Blob([bytesOf(body)], { type }));
    view = el("img", { className: "preview", src: url, alt: "image body" });
  } else if (body.encoding === "base64") {
    view = el("pre", { className: "body-view hex", textContent: hexDump(bytesOf(body)) });
  } else if (/json/.test(type)) {
    let text = body.text;
    try { text = JSON.stringify(JSON.parse(body.text), null, 2); } catch {}
    view = el("pre", { className: "body-view json", textContent: text });
  } else if (/x-www-form-urlencoded/.test(type)) {
    view = el("table", { className: "headers body-view form" }, ...[...new URLSearchParams(body.text)].map(([k, v]) => el("tr", {}, el("td", { textContent: k }), el("td", { textContent: v }))));
  } else {
    view = el("pre", { className: "body-view text", textContent: body.text });
  }
  return el("div", {}, note, view);
}

function headersNode(headers) {
  return el("table", { className: "headers" }, ...headers.map(([k, v]) => el("tr", {}, el("td", { textContent: k }), el("td", { textContent: v }))));
}

function responseNode(record, title) {
  const r = record.response;
  return el("div", { className: "response" }, el("h3", { textContent: title }),
    r ? el("p", { className: "status s" + String(r.status)[0], textContent: r.status + " " + r.statusText + (record.error ? "  (" + record.error + ")" : "") + " · " + record.outcome + (record.durationMs !== null ? " · " + record.durationMs + " ms" : "") }) : el("p", { className: "err", textContent: record.outcome + (record.error ? ": " + record.error : "") }),
    r ? headersNode(r.headers) : null, r ? bodyNode(r.body, r.headers) : null);
}

const SKIP = /^(host|content-length|connection|x-forwarded-.*)$/i;
const quote = (s) => "'" + s.replace(/'/g, "'\\\\''") + "'";
function curlOf(record) {
  const parts = ["curl", "-X", record.method, quote(record.url)];
  for (const [k, v] of record.request.headers) if (!SKIP.test(k)) parts.push("-H", quote(k + ": " + v));
  const body = record.request.body;
  if (body) parts.push(body.encoding === "utf8" ? "--data-binary" : "--data-binary", body.encoding === "utf8" ? quote(body.text) : "@body.bin");
  return parts.join(" ");
}
function fetchOf(record) {
  const headers = Object.fromEntries(record.request.headers.filter(([k]) => !SKIP.test(k)));
  const init = { method: record.method, headers };
  if (record.request.body && record.request.body.encoding === "utf8") init.body = record.request.body.text;
  return "await fetch(" + JSON.stringify(record.url) + ", " + JSON.stringify(init, null, 2) + ");";
}

async function copy(text) {
  $("#snippet").textContent = text;
  try { await navigator.clipboard.writeText(text); $("#state").textContent = "copied"; } catch { $("#state").textContent = "select the text to copy"; }
}

async function replay(id, edits) {
  $("#state").textContent = "replaying…";
  try {
    const record = await api("api/requests/" + id + "/replay" + reveal(), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(edits || {}) });
    comparing = { original: id, replay: record.id };
    $("#state").textContent = "replayed as #" + record.id;
    await refresh();
    await show(id);
  } catch (error) {
    $("#state").textContent = "replay failed: " + error.message;
  }
}

function editForm(record) {
  const headers = record.request.headers.filter(([k]) => !/^content-length$/i.test(k)).map(([k, v]) => k + ": " + v).join("\\n");
  const body = record.request.body && record.request.body.encoding === "utf8" ? record.request.body.text : "";
  const form = el("form", { id: "edit-form" },
    el("label", {}, "Method ", el("input", { id: "edit-method", value: record.method, size: 8 })),
    el("label", {}, "Path ", el("input", { id: "edit-path", value: record.path, size: 50 })),
    el("label", { textContent: "Headers (one per line; [redacted] values are sent as captured)" }), el("textarea", { id: "edit-headers", value: headers }),
    el("label", { textContent: "Body" }), el("textarea", { id: "edit-body", value: body }),
    el("button", { id: "edit-send", type: "submit", textContent: "Send edited replay" }));
  form.onsubmit = (event) => {
    event.preventDefault();
    const pairs = $("#edit-headers").value.split("\\n").map((line) => line.trim()).filter(Boolean).map((line) => { const at = line.indexOf(":"); return [line.slice(0, at).trim(), line.slice(at + 1).trim()]; }).filter(([k]) => k);
    replay(record.id, { method: $("#edit-method").value, path: $("#edit-path").value, headers: pairs, body: $("#edit-body").value });
  };
  return form;
}

// Live updates re-render the selected request, but never under an open edit form (what the user is
// typing would be lost), and only the latest of overlapping renders lands.
async function show(id, live = false) {
  const turn = ++showing;
  selected = id;
  renderList();
  let record;
  try { record = await api("api/requests/" + id); } catch (error) { if (turn === showing) $("#detail").replaceChildren(el("p", { className: "err", textContent: error.message })); return; }
  const replayed = comparing && comparing.original === id ? await api("api/requests/" + comparing.replay).catch(() => null) : null;
  if (turn !== showing || (live && $("#edit-form"))) return;
  const late = record.deliveredLate ? el("p", { className: "badge late", textContent: "delivered late — arrived " + new Date(record.deliveredLate.arrivedAt).toLocaleString() + ", held by the inbox while offline" }) : null;
  const actions = el("div", { className: "actions" },
    el("button", { id: "replay", textContent: "Replay", onclick: () => replay(id) }),
    el("button", { id: "edit", textContent: "Edit and replay…", onclick: () => { const old = $("#edit-form"); if (old) old.remove(); else actions.after(editForm(record)); } }),
    el("button", { id: "copy-curl", textContent: "Copy as curl", onclick: () => copy(curlOf(record)) }),
    el("button", { id: "copy-fetch", textContent: "Copy as fetch()", onclick: () => copy(fetchOf(record)) }));
  $("#detail").replaceChildren(
    el("h2", { textContent: record.method + " " + record.url }),
    el("p", { className: "dim", textContent: "#" + record.id + " · " + new Date(record.startedAt).toLocaleString() + (record.visitorAddress ? " · from " + record.visitorAddress : "") + (record.replayOf ? " · replay of #" + record.replayOf : "") }),
    late, actions, el("pre", { id: "snippet" }),
    el("h3", { textContent: "Request headers" }), headersNode(record.request.headers),
    el("h3", { textContent: "Request body" }), bodyNode(record.request.body, record.request.headers),
    replayed ? el("div", { className: "columns", id: "compare" }, responseNode(record, "Original response"), responseNode(replayed, "Replay #" + replayed.id)) : responseNode(record, "Response"));
}

for (const id of ["#filter-path", "#filter-method", "#filter-status"]) $(id).oninput = renderList;
$("#reveal").onchange = () => { $("#har").href = "api/har" + reveal(); refresh(); if (selected) show(selected); };
$("#clear").onclick = async () => { await api("api/requests", { method: "DELETE" }); selected = null; comparing = null; $("#detail").replaceChildren(); refresh(); };

let pending = null;
const events = new EventSource("api/events");
events.addEventListener("change", () => { pending ??= setTimeout(() => { pending = null; refresh(); if (selected && !$("#edit-form")) show(selected, true); }, 100); });
events.onopen = () => { $("#state").textContent = "live"; refresh(); };
events.onerror = () => { $("#state").textContent = "reconnecting…"; };
refresh();
</script>
</body>
</html>
`;
