// glassledger dashboard: every request is signed in the browser with the user's Ed25519 key
// (WebCrypto), exactly as glassledger.api.auth expects:
//   signature over  "glassledger/api/v1" 0x00 METHOD\nPATH?QUERY\nsha256(body)\nTS\nNONCE
// The key lives only in this tab's memory; the server holds no session.
"use strict";

const DOMAIN = "glassledger/api/v1";
// PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows.
const PKCS8_ED25519 = "302e020100300506032b657004220420";
const session = { key: null, public: null, name: null, status: null };

const enc = new TextEncoder();
const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

async function importKeyFile(text) {
  let record;
  try { record = JSON.parse(text); } catch (e) { throw new Error("not a glassledger key file (invalid JSON)"); }
  if (record.sealed_seed !== undefined) {
    throw new Error("this key file is sealed with a passphrase: the dashboard does not unseal keys " +
      "(Argon2id is not in WebCrypto). Export an unsealed copy for this session " +
      "(docs/dashboard.md) or use the Python client.");
  }
  if (typeof record.seed !== "string" || !/^[0-9a-f]{64}$/.test(record.seed) ||
      typeof record.public !== "string" || !/^[0-9a-f]{64}$/.test(record.public)) {
    throw new Error("not a glassledger key file (needs name, public and seed in hex)");
  }
  const key = await crypto.subtle.importKey(
    "pkcs8", concat(unhex(PKCS8_ED25519), unhex(record.seed)), { name: "Ed25519" }, false, ["sign"]);
  // Check that the seed matches the recorded public key: sign and verify once.
  const pub = await crypto.subtle.importKey("raw", unhex(record.public), { name: "Ed25519" }, false, ["verify"]);
  const probe = enc.encode("glassledger/dashboard/probe");
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, pub, await crypto.subtle.sign({ name: "Ed25519" }, key, probe), probe);
  if (!ok) throw new Error("the key file's seed does not match its public key");
  return { key, public: record.public, name: record.name };
}

async function signedHeaders(method, target, body) {
  const timestamp = String(Date.now());
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const bodyHash = hex(await crypto.subtle.digest("SHA-256", body));
  const canonical = [method, target, bodyHash, timestamp, nonce].join("\n");
  const message = concat(enc.encode(DOMAIN), new Uint8Array([0]), enc.encode(canonical));
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, session.key, message);
  return { "X-GL-Key": session.public, "X-GL-Timestamp": timestamp, "X-GL-Nonce": nonce, "X-GL-Signature": hex(signature) };
}

class ApiError extends Error {
  constructor(status, error) { super(`${status} ${error.reason}: ${error.message}`); this.status = status; this.reason = error.reason; }
}

async function api(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString();
  const target = path + (query ? "?" + query : "");
  const headers = await signedHeaders("GET", target, new Uint8Array());
  const response = await fetch(target, { headers });
  const data = await response.json();
  if (!response.ok) throw new ApiError(response.status, data.error || { reason: "http", message: response.statusText });
  return data;
}

// ------------------------------------------------------------------ rendering helpers

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 4 });
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function table(rows, columns, id) {
  if (!rows.length) return el("p", { class: "empty", ...(id ? { id } : {}) }, "nothing to show");
  columns = columns || Object.keys(rows[0]);
  const t = el("table", id ? { id } : {});
  t.append(el("tr", {}, ...columns.map((c) => el("th", {}, c))));
  for (const r of rows) {
    t.append(el("tr", {}, ...columns.map((c) => el("td", typeof r[c] === "number" ? { class: "num" } : {}, fmt(r[c])))));
  }
  return t;
}

function card(title, ...content) {
  return el("div", { class: "card" }, el("h3", {}, title), ...content);
}

function chart(id, traces, layout = {}) {
  const div = el("div", { class: "chart", id });
  queueMicrotask(() => Plotly.newPlot(div, traces, { margin: { t: 36, r: 20, b: 48, l: 64 }, height: 320, ...layout }, { displaylogo: false, responsive: true }));
  return div;
}

function failure(err) {
  return el("p", { class: "error" }, err instanceof ApiError && err.status === 403
    ? `not available to your role (${err.reason})` : `error: ${err.message}`);
}

async function attempt(fn) {
  try { return await fn(); } catch (err) { return failure(err); }
}

// ------------------------------------------------------------------ pages

const PAGES = {};

PAGES.explorer = async (page) => {
  const search = el("input", { type: "search", id: "search", placeholder: "transaction hash, block height, participant or netting set" });
  const results = el("div", { id: "search-results" });
  const form = el("form", { id: "search-form" }, search, el("button", { type: "submit" }, "search"));
  form.addEventListener("submit", (e) => { e.preventDefault(); runSearch(search.value.trim(), results); });
  page.append(card("Search", form, results));
  const [blocks, txs, events] = await Promise.all([
    api("/v1/blocks", { limit: 50 }),
    attempt(() => api("/v1/transactions", { limit: 200 })),
    attempt(() => api("/v1/events", { limit: 200 })),
  ]);
  const heights = blocks.items.map((b) => b.height);
  page.append(el("div", { class: "grid" },
    card("Transactions per block", chart("chart-blocks", [{ type: "bar", x: heights, y: blocks.items.map((b) => b.tx_count), name: "transactions" }],
      { xaxis: { title: { text: "height" } }, yaxis: { title: { text: "transactions" } } })),
    card("Blocks", table(blocks.items.slice(0, 12).map((b) => ({ height: b.height, hash: b.hash.slice(0, 16) + "…", time: new Date(b.time_ms).toISOString(), txs: b.tx_count })), null, "blocks-table"))));
  const txRows = txs instanceof Node ? txs : table(txs.items.map((t) => ({
    height: t.height, index: t.index, hash: t.hash, contract: t.contract, method: t.method,
    receipt: t.ok ? "ok" : `refused: ${t.reason}`, events: t.events.length,
  })), null, "tx-table");
  page.append(card(session.status.role === "regulator" ? "Transactions and receipts (all)" : "Your transactions and receipts", txRows));
  const evRows = events instanceof Node ? events : table(events.items.map((e) => ({
    cursor: e.cursor, event: `${e.contract}.${e.name}`, data: e.data,
  })), null, "events-table");
  page.append(card(session.status.role === "regulator" ? "Events (all)" : "Events you may see", evRows));
};

async function runSearch(q, out) {
  out.replaceChildren(el("p", {}, "searching…"));
  const parts = [];
  try {
    if (/^[0-9a-f]{64}$/.test(q)) {
      const tx = await api(`/v1/transactions/${q}`);
      parts.push(card(`Transaction ${q.slice(0, 16)}… at height ${tx.height}`,
        table([{ contract: tx.contract, method: tx.method, sender: tx.sender.slice(0, 16) + "…", nonce: tx.nonce, receipt: tx.ok ? "ok" : `refused: ${tx.reason} ${tx.message}` }]),
        el("h4", {}, "events"), table(tx.events.map((e) => ({ event: `${e.contract}.${e.name}`, data: e.data })))));
    } else if (/^[0-9]+$/.test(q)) {
      const b = await api(`/v1/blocks/${q}`);
      parts.push(card(`Block ${q}`, table([{ hash: b.hash, round: b.certificate ? b.certificate[0] : "", transactions: b.transactions.length }]),
        table(b.transactions.map((t) => ({ hash: t.hash, contract: t.contract || "(not yours)", method: t.method || "", ok: t.ok })))));
    } else {
      const [participant, balances, ns, events] = await Promise.all([
        api(`/v1/participants/${encodeURIComponent(q)}`).catch((e) => e),
        api(`/v1/participants/${encodeURIComponent(q)}/balances`).catch((e) => e),
        api(`/v1/netting-sets/${encodeURIComponent(q)}`).catch((e) => e),
        api("/v1/events", { netting_set: q, limit: 200 }).catch((e) => e),
      ]);
      if (!(participant instanceof Error)) {
        parts.push(card(`Participant ${q}`, table([{ roles: participant.roles, active: participant.active }]),
          balances instanceof Error ? failure(balances) : table(Object.entries(balances.free).map(([symbol, free]) => ({ symbol, free, locked: balances.locked[symbol] || 0 })))));
      } else if (participant.status === 403) parts.push(card(`Participant ${q}`, failure(participant)));
      if (!(ns instanceof Error)) {
        parts.push(card(`Netting set ${q}`, table([ns.netting_set]), el("h4", {}, "open trades"), table(ns.open_trades),
          el("h4", {}, "events"), events instanceof Error ? failure(events) : table(events.items.map((e) => ({ cursor: e.cursor, event: `${e.contract}.${e.name}`, data: e.data })))));
      } else if (ns.status === 403) parts.push(card(`Netting set ${q}`, failure(ns)));
      if (!parts.length) parts.push(el("p", {}, `no transaction, block, participant or netting set "${q}" that you may see`));
    }
  } catch (err) { parts.push(failure(err)); }
  out.replaceChildren(...parts);
}

PAGES.consensus = async (page) => {
  const c = await api("/v1/consensus", { limit: 100 });
  page.append(card(`Authorities signing block ${c.height + 1}`, table(c.authorities.map((a) => ({ participant: a.participant, key: a.key.slice(0, 16) + "…" })), null, "authorities-table")));
  const rounds = c.rounds.slice().reverse();
  page.append(el("div", { class: "grid" },
    card("Rounds to decide each block", chart("chart-rounds", [{ type: "bar", x: rounds.map((r) => r.height), y: rounds.map((r) => r.round + 1), name: "rounds" }],
      { xaxis: { title: { text: "height" } }, yaxis: { title: { text: "rounds (1 = first proposal)" } } })),
    card("Blocks proposed per authority", chart("chart-proposers", [{ type: "bar", x: Object.keys(c.proposers), y: Object.values(c.proposers) }], { yaxis: { title: { text: "blocks" } } }))));
  page.append(card("The election: current draw", c.draw ? table([c.draw], null, "draw-table") : el("p", { id: "draw-table" }, "no draw open at this height (see the elections below)")));
  page.append(card("Elections and their draws", table(c.draws.map((e) => ({ height: e.height, event: e.name, data: e.data })), null, "draws-table")));
};

PAGES.markets = async (page) => {
  const m = await api("/v1/funding/market");
  // `day` counts days since the Unix epoch: plot it as a date.
  const sofr = m.sofr.map((r) => ({ ...r, day: new Date(r.day * 86400000).toISOString().slice(0, 10) }));
  page.append(el("div", { class: "grid" },
    card("On-ledger overnight repo rate (SOFR method)", sofr.length
      ? chart("chart-sofr", [
        { x: sofr.map((r) => r.day), y: sofr.map((r) => r.rate_bps), name: "median (bp)", mode: "lines+markers" },
        { x: sofr.map((r) => r.day), y: sofr.map((r) => r.p25), name: "p25", mode: "lines", line: { dash: "dot" } },
        { x: sofr.map((r) => r.day), y: sofr.map((r) => r.p75), name: "p75", mode: "lines", line: { dash: "dot" } }],
        { yaxis: { title: { text: "bp" } } })
      : el("p", { id: "chart-sofr" }, "no overnight repo traded on the ledger yet")),
    card("Pool utilization", m.pools.length
      ? chart("chart-pools", [{ type: "bar", x: m.pools.map((p) => p.market), y: m.pools.map((p) => 100 * p.utilization), name: "utilization (%)" }], { yaxis: { title: { text: "%" }, range: [0, 100] } })
      : el("p", { id: "chart-pools" }, "no lending pool on the ledger"))));
  page.append(card("Pool markets", table(m.pools, null, "pools-table")));
  page.append(card("Standing-facility take-up", table(m.facilities, null, "facilities-table")));
  const coin = await api("/v1/basket").catch((e) => e);
  if (coin instanceof Error) {
    page.append(card("Basket coin", el("p", { id: "basket-none" }, coin.status === 404 ? "no basket coin on this chain" : String(coin))));
  } else {
    const names = Object.keys(coin.rates).filter((k) => coin.rates[k] !== null);
    const ccys = Object.keys(coin.coverage_bps);
    page.append(el("div", { class: "grid" },
      card(`Basket coin ${coin.coin}: rates (USD per coin)`, chart("chart-basket-rates",
        [{ type: "bar", x: names, y: names.map((k) => coin.rates[k]), name: "USD per coin" }], { yaxis: { title: { text: "USD" } } })),
      card(`Reserve coverage (adequacy: per currency ${coin.per_currency_adequate}, overall ${coin.overall_adequate})`, chart("chart-basket-coverage",
        [{ type: "bar", x: ccys, y: ccys.map((k) => coin.coverage_bps[k] === null ? 0 : coin.coverage_bps[k] / 100), name: "coverage (%)" }],
        { yaxis: { title: { text: "% of required" } }, shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 100, y1: 100, line: { dash: "dot" } }] }))));
    page.append(card("Basket coin figures", table([{ coins_outstanding: coin.outstanding, reserve_yield_bps: coin.reserve_yield_bps, ...coin.balance_sheet_usd_cents }], null, "basket-table")));
  }
};

const ALERT = { none: "#2e7d32", flagged: "#c62828", cascade: "#ef6c00" };

PAGES.risk = async (page) => {
  const ex = await api("/v1/risk/exposures");
  const byCp = {};
  for (const r of ex.items) {
    const k = r.counterparty;
    byCp[k] = byCp[k] || { counterparty: k, EAD: 0, el: 0 };
    byCp[k].EAD += r.EAD || 0; byCp[k].el += r.el || 0;
  }
  const rows = Object.values(byCp);
  page.append(el("div", { class: "grid" },
    card("EAD and expected loss per counterparty", chart("chart-ead", [
      { type: "bar", x: rows.map((r) => r.counterparty), y: rows.map((r) => r.EAD), name: "EAD", offsetgroup: 1 },
      { type: "bar", x: rows.map((r) => r.counterparty), y: rows.map((r) => r.el), name: "EL", yaxis: "y2", offsetgroup: 2 }],
      { barmode: "group", yaxis: { title: { text: "EAD" } }, yaxis2: { title: { text: "EL" }, overlaying: "y", side: "right" } })),
    card("Exposures by netting set", table(ex.items.map((r) => ({ netting_set: r.netting_set, party: r.party, counterparty: r.counterparty, EAD: r.EAD, pd: r.pd, el: r.el })), null, "exposures-table"))));
  const net = await attempt(() => api("/v1/risk/contagion"));
  if (net instanceof Node) { page.append(card("Exposure network and cascade (regulator only)", net)); return; }
  page.append(networkCard(net));
};

function networkCard(net) {
  const names = [...new Set([...net.edges.flatMap((e) => [e.creditor, e.debtor]), ...Object.keys(net.dr)])].sort();
  const at = Object.fromEntries(names.map((n, i) => [n, [Math.cos((2 * Math.PI * i) / names.length), Math.sin((2 * Math.PI * i) / names.length)]]));
  const roundOf = Object.fromEntries(net.warnings.map((w) => [w.institution, w.round]));
  const maxRound = net.warnings.reduce((m, w) => Math.max(m, w.round), 0);
  const edgeX = [], edgeY = [];
  for (const e of net.edges) { edgeX.push(at[e.creditor][0], at[e.debtor][0], null); edgeY.push(at[e.creditor][1], at[e.debtor][1], null); }
  const div = el("div", { class: "chart", id: "chart-network" });
  const label = el("span", { id: "cascade-round" });
  const slider = el("input", { type: "range", min: "-1", max: String(maxRound), value: String(maxRound), id: "cascade-slider" });
  const draw = () => {
    const k = Number(slider.value);
    label.textContent = k < 0 ? "before any default" : `after round ${k} (D_0 … D_${k} defaulted)`;
    const colour = (n) => (roundOf[n] === undefined || roundOf[n] > k ? ALERT.none : roundOf[n] === 0 ? ALERT.flagged : ALERT.cascade);
    Plotly.react(div, [
      { x: edgeX, y: edgeY, mode: "lines", line: { color: "#b0b7c3", width: 1 }, hoverinfo: "none", showlegend: false },
      { x: names.map((n) => at[n][0]), y: names.map((n) => at[n][1]), mode: "markers+text", text: names, textposition: "top center",
        marker: { size: 18, color: names.map(colour), line: { color: "#1d2330", width: 1 } },
        hovertext: names.map((n) => `${n}: dr = ${net.dr[n] === null || net.dr[n] === undefined ? "n/a" : fmt(net.dr[n])}`), hoverinfo: "text", showlegend: false }],
      { height: 420, margin: { t: 20, r: 20, b: 20, l: 20 }, xaxis: { visible: false }, yaxis: { visible: false, scaleanchor: "x" } }, { displaylogo: false });
  };
  slider.addEventListener("input", draw);
  queueMicrotask(draw);
  return card(`Exposure network at height ${net.height} (alert threshold dr > ${net.threshold})`,
    el("p", {}, "green: no warning; red: flagged (D_0, dr above threshold); orange: defaulted in the cascade. Replay the cascade round by round: ", slider, " ", label),
    div, table(net.warnings, null, "warnings-table"));
}

PAGES.liquidity = async (page) => {
  const s = await api("/v1/liquidity/corridor");
  const d = s.series;
  const line = (col, name, extra = {}) => ({ x: d.date, y: d[col], name, mode: "lines", ...extra });
  page.append(card(`SOFR against the corridor: the model (scenario ${s.scenario}) beside the data`,
    chart("chart-corridor", [
      line("srf_rate_pct", "SRF rate (ceiling)", { line: { dash: "dash", color: "#c62828" } }),
      line("iorb_pct", "IORB", { line: { color: "#6a1b9a" } }),
      line("on_rrp_rate_pct", "ON RRP rate (floor)", { line: { dash: "dash", color: "#2e7d32" } }),
      line("sofr_pct", "SOFR (model)", { line: { color: "#1565c0" } }),
      line("data_sofr_pct", "SOFR (data)", { line: { color: "#ef6c00" } })],
      { height: 420, yaxis: { title: { text: "%" } } })));
  page.append(card("Reserves: model and data", chart("chart-reserves", [
    line("reserves_usd_bn", "reserves (model)"), line("data_reserves_usd_bn", "reserves (data)"), line("srf_usd_bn", "SRF take-up (model)")],
    { yaxis: { title: { text: "USD bn" } } })));
  page.append(card("Fit of the model to the data", table([s.summary], null, "fit-table")));
};

// ------------------------------------------------------------------ navigation

async function show() {
  if (!session.key) return;
  const name = (location.hash || "#explorer").slice(1);
  const render = PAGES[name] || PAGES.explorer;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === name);
  const page = document.getElementById("page");
  page.hidden = false;
  page.dataset.page = name;
  page.dataset.ready = "false";
  page.replaceChildren(el("h2", {}, name));
  try { await render(page); } catch (err) { page.append(failure(err)); }
  page.dataset.ready = "true";
}

document.getElementById("keyfile").addEventListener("change", async (event) => {
  const error = document.getElementById("signin-error");
  error.textContent = "";
  try {
    const file = event.target.files[0];
    if (!crypto.subtle) throw new Error("WebCrypto needs a secure context: open the dashboard over https or on localhost");
    Object.assign(session, await importKeyFile(await file.text()));
    session.status = await api("/v1/status");
    document.getElementById("who").textContent = `${session.status.participant} (${session.status.role}) · chain ${session.status.chain_id} · height ${session.status.height}`;
    document.getElementById("signin").hidden = true;
    await show();
  } catch (err) {
    Object.assign(session, { key: null, public: null, name: null, status: null });
    error.textContent = err.message;
  }
});
window.addEventListener("hashchange", show);
