// The report's gallery. Every string from the data is model- or user-written: it is only ever
// put into the page with textContent (never innerHTML), so markup in it shows as text.
(function () {
  "use strict";
  var PAGE_SIZE = 50;
  var data = JSON.parse(document.getElementById("data").textContent);
  var cards = data.cards;
  var thumbs = data.thumbs;
  var ANY = "*";
  var state = { status: ANY, op: ANY, reason: ANY, domain: ANY, q: "", page: 0 };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  cards.forEach(function (c) {
    var parts = [c.id, c.domain, c.op || "", c.reason || "", c.detail || ""];
    c.messages.forEach(function (m) { parts.push(m[1]); });
    c.fields.forEach(function (f) { parts.push(f[0] + " " + f[1]); });
    c.outputs.forEach(function (o) { parts.push(o[1]); });
    c._text = parts.join("\n").toLowerCase();
  });

  function fill(id, values) {
    var select = document.getElementById(id);
    values.sort().forEach(function (v) {
      var opt = el("option", null, v === "" ? "(none)" : v);
      opt.value = v;
      select.appendChild(opt);
    });
  }
  function distinct(key) {
    var seen = {};
    cards.forEach(function (c) { if (c[key] !== undefined) seen[c[key]] = true; });
    return Object.keys(seen);
  }
  fill("f-op", distinct("op"));
  fill("f-reason", distinct("reason"));
  fill("f-domain", distinct("domain"));

  function matches(c) {
    if (state.status !== ANY && c.status !== state.status) return false;
    if (state.op !== ANY && c.op !== state.op) return false;
    if (state.reason !== ANY && c.reason !== state.reason) return false;
    if (state.domain !== ANY && c.domain !== state.domain) return false;
    if (state.q && c._text.indexOf(state.q.toLowerCase()) < 0) return false;
    return true;
  }

  function picture(im, label) {
    var fig = el("figure", "pic");
    if (im[0] !== null && im[0] !== undefined && thumbs[im[0]]) {
      var img = el("img");
      img.alt = label;
      img.title = im[1];
      img.src = thumbs[im[0]];
      fig.appendChild(img);
    } else {
      fig.appendChild(el("div", "ph", im[2] || "no preview"));
    }
    fig.appendChild(el("figcaption", null, label));
    return fig;
  }

  function editView(e) {
    var box = el("div", "edit");
    var pair = el("div", "pair");
    pair.appendChild(picture(e.source, "source"));
    pair.appendChild(el("span", "arrow", "\u2192"));
    pair.appendChild(picture(e.edited, "edited"));
    box.appendChild(pair);
    if (e.instruction) box.appendChild(el("div", "instr", e.instruction));
    if (e.scores.length) {
      var sc = el("div", "scores");
      e.scores.forEach(function (s) { sc.appendChild(el("span", "score", s[0] + " " + s[1])); });
      box.appendChild(sc);
    }
    return box;
  }

  function card(c) {
    var root = el("div", "card " + c.status);
    root.setAttribute("data-id", c.id);
    var head = el("div", "head");
    head.appendChild(el("span", "badge " + c.status, c.status));
    head.appendChild(el("span", "sid", c.id));
    if (c.domain) head.appendChild(el("span", "dom", "domain: " + c.domain));
    root.appendChild(head);

    var pics = el("div", "thumbs");
    c.images.forEach(function (im) {
      if (im[0] !== null && im[0] !== undefined && thumbs[im[0]]) {
        var img = el("img");
        img.alt = "image";
        img.title = im[1];
        img.src = thumbs[im[0]];
        pics.appendChild(img);
      } else {
        var ph = el("div", "ph", im[2] || "no preview");
        ph.title = im[1];
        pics.appendChild(ph);
      }
    });
    if (c.more_images) pics.appendChild(el("span", "muted", "+" + c.more_images + " more"));
    if (c.images.length) root.appendChild(pics);
    if (c.edit) root.appendChild(editView(c.edit));

    if (c.status === "rejected") {
      var rej = el("div", "rej");
      rej.appendChild(el("b", null, c.op + ": " + c.reason));
      if (c.detail) rej.appendChild(el("div", "detail", c.detail));
      root.appendChild(rej);
    }
    if (c.scores.length) {
      var sc = el("div", "scores");
      c.scores.forEach(function (s) { sc.appendChild(el("span", "score", s[0] + " " + s[1])); });
      root.appendChild(sc);
    }
    c.messages.forEach(function (m) {
      var msg = el("div", "msg");
      msg.appendChild(el("span", "role", m[0] + ":"));
      msg.appendChild(document.createTextNode(m[1]));
      root.appendChild(msg);
    });
    if (c.more_messages) root.appendChild(el("div", "muted", "+" + c.more_messages + " more turns"));
    if (c.fields.length) {
      var fs = el("div", "fields");
      c.fields.forEach(function (f) {
        var row = el("div");
        row.appendChild(el("span", "k", f[0] + ":"));
        row.appendChild(document.createTextNode(f[1]));
        fs.appendChild(row);
      });
      root.appendChild(fs);
    }
    if (c.outputs.length) {
      var det = el("details", "raw");
      det.appendChild(el("summary", null, "raw model output (" + c.outputs.length + ")"));
      c.outputs.forEach(function (o) {
        det.appendChild(el("div", "k", o[0]));
        det.appendChild(el("pre", null, o[1]));
      });
      root.appendChild(det);
    }
    return root;
  }

  function writeHash() {
    var parts = [];
    Object.keys(state).forEach(function (k) {
      if (state[k] !== "" && state[k] !== ANY && !(k === "page" && state.page === 0)) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]));
      }
    });
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* file:// quirks */ }
  }

  function readHash() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) return;
      var k = decodeURIComponent(kv.slice(0, i)), v = decodeURIComponent(kv.slice(i + 1));
      if (k === "page") state.page = Math.max(0, parseInt(v, 10) || 0);
      else if (Object.prototype.hasOwnProperty.call(state, k)) state[k] = v;
    });
    document.getElementById("f-status").value = state.status;
    document.getElementById("f-op").value = state.op;
    document.getElementById("f-reason").value = state.reason;
    document.getElementById("f-domain").value = state.domain;
    document.getElementById("f-q").value = state.q;
  }

  function render() {
    var shown = cards.filter(matches);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    if (state.page >= pages) state.page = pages - 1;
    var box = document.getElementById("cards");
    while (box.firstChild) box.removeChild(box.firstChild);
    shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).forEach(function (c) {
      box.appendChild(card(c));
    });
    document.getElementById("count").textContent =
      shown.length + " matching of " + cards.length + " in this page";
    document.getElementById("pageinfo").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
    box.setAttribute("data-rendered", String(shown.length));
    writeHash();
  }

  function bind(id, key, event) {
    document.getElementById(id).addEventListener(event, function (ev) {
      state[key] = ev.target.value;
      state.page = 0;
      render();
    });
  }
  bind("f-status", "status", "change");
  bind("f-op", "op", "change");
  bind("f-reason", "reason", "change");
  bind("f-domain", "domain", "change");
  bind("f-q", "q", "input");
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  window.addEventListener("hashchange", function () { readHash(); render(); });
  readHash();
  render();
})();
