// propmine labeling: keyboard review, text selection to records, one POST per action.
// Every action is stored by the server before it answers; the page only mirrors what was stored.
"use strict";

(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const doneWords = {
    accept: "accepted", reject: "rejected", correct: "corrected", add: "added",
    credible: "marked credible", not_credible: "marked not credible", done: "marked done",
  };
  const banner = document.getElementById("banner");

  function say(message, kind = "info", withReload = false) {
    banner.hidden = false;
    banner.className = `banner ${kind}`;
    banner.textContent = message;
    if (withReload) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = "Reload";
      button.addEventListener("click", () => location.reload());
      banner.append(" ", button);
    }
  }

  // A message to show after the reload an action causes.
  const pending = sessionStorage.getItem("pm-message");
  if (pending) {
    sessionStorage.removeItem("pm-message");
    say(pending, "info");
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (_) { /* an empty or non-JSON answer */ }
    if (!response.ok) {
      const err = new Error(data.error || `${response.status} ${response.statusText}`);
      err.status = response.status;
      throw err;
    }
    return data;
  }

  function fail(err) {
    if (err.status === 409) say(`Not saved: ${err.message}`, "conflict", true);
    else say(`Not saved: ${err.message}`, "error");
  }

  // Who is labeling: stored in a cookie by the server, shown in the top bar.
  const whoForm = document.getElementById("who-form");
  if (whoForm) {
    const input = whoForm.querySelector("input");
    const save = async (event) => {
      if (event) event.preventDefault();
      const name = input.value.trim();
      if (!name || name === input.defaultValue) return;
      try {
        const data = await post("/api/who", { name });
        input.defaultValue = data.who;
        say(`Labels are now stored as ${data.who}.`);
      } catch (err) { fail(err); }
    };
    whoForm.addEventListener("submit", save);
    input.addEventListener("change", save);
  }

  const review = document.getElementById("review");
  if (!review) return;

  const passageId = review.dataset.passage;
  const textEl = document.getElementById("passage-text");
  const cards = [...document.querySelectorAll(".card")];
  const segments = [...textEl.querySelectorAll("[data-r]")];
  const vocab = JSON.parse(document.getElementById("pm-vocab").textContent);
  const focusKey = `pm-focus:${passageId}`;
  let focus = -1;

  function setFocus(index) {
    if (!cards.length) return;
    focus = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach((card, i) => card.classList.toggle("focused", i === focus));
    segments.forEach((seg) => seg.classList.toggle("focus", seg.dataset.r.split(" ").includes(String(cards[focus].dataset.index))));
    cards[focus].scrollIntoView({ block: "nearest", behavior: "smooth" });
    sessionStorage.setItem(focusKey, String(focus));
  }

  const firstOpen = cards.findIndex((card) => card.classList.contains("status-open"));
  const remembered = Number(sessionStorage.getItem(focusKey));
  setFocus(Number.isInteger(remembered) && sessionStorage.getItem(focusKey) !== null ? remembered : Math.max(0, firstOpen));

  cards.forEach((card, i) => card.addEventListener("click", (event) => {
    if (!event.target.closest("button, input, select, a")) setFocus(i);
  }));
  segments.forEach((seg) => seg.addEventListener("click", () => {
    if (String(window.getSelection())) return;
    const index = cards.findIndex((card) => seg.dataset.r.split(" ").includes(card.dataset.index));
    if (index >= 0) setFocus(index);
  }));

  function updateProgress(progress) {
    if (!progress) return;
    for (const key of ["reviewed", "passages", "decided", "records"]) {
      const el = document.getElementById(`p-${key}`);
      if (el) el.textContent = progress[key];
    }
    const bar = document.getElementById("p-bar");
    if (bar) { bar.max = progress.passages || 1; bar.value = progress.reviewed; }
  }

  function updateCards(passage) {
    for (const item of passage.items) {
      const card = cards.find((c) => c.dataset.item === item.item_id);
      if (!card) continue;
      card.dataset.version = item.version;
      card.className = card.className.replace(/status-\S+/, `status-${item.status}`);
      card.querySelector("[data-status]").textContent = item.status;
      card.querySelector("[data-credible]").textContent =
        item.credible === true ? "✓ credible" : item.credible === false ? "✗ not credible" : "";
      if (item.last) {
        card.querySelector("[data-last]").textContent =
          `${doneWords[item.last.action] || item.last.action} by ${item.last.who} · ${item.last.at.replace("T", " ").slice(0, 16)} UTC`;
      }
      const rejected = item.decision === "reject";
      segments.forEach((seg) => {
        const indexes = seg.dataset.r.split(" ");
        if (!indexes.includes(card.dataset.index)) return;
        const allRejected = indexes.every((i) => {
          const other = cards.find((c) => c.dataset.index === i);
          return other && (other === card ? rejected : other.classList.contains("status-rejected"));
        });
        seg.classList.toggle("hl-rejected", allRejected);
      });
    }
    const state = document.getElementById("passage-state");
    state.textContent = passage.reviewed ? "reviewed" : "to review";
    state.className = `state ${passage.reviewed ? "reviewed" : "todo"}`;
    review.dataset.passageVersion = passage.passage_version;
  }

  async function act(action) {
    const card = cards[focus];
    if (!card) return;
    try {
      const data = await post("/api/label", {
        passage_id: passageId, item_id: card.dataset.item, action, version: Number(card.dataset.version),
      });
      updateCards(data.passage);
      updateProgress(data.progress);
      if (action === "accept" || action === "reject") {
        const next = cards.findIndex((c, i) => i > focus && c.classList.contains("status-open"));
        const any = cards.findIndex((c) => c.classList.contains("status-open"));
        if (next >= 0) setFocus(next);
        else if (any >= 0) setFocus(any);
        else if (data.passage.reviewed) say("Passage reviewed. Press j for the next one.");
      }
    } catch (err) { fail(err); }
  }

  async function undo() {
    try {
      const data = await post("/api/undo", {});
      const what = `${data.undone.action.replace("_", " ")} by ${data.undone.who}`;
      sessionStorage.setItem("pm-message", `Undone: ${what}.`);
      if (data.undone.passage_id === passageId) location.reload();
      else location.href = `/passage/${encodeURIComponent(data.undone.passage_id)}`;
    } catch (err) { fail(err); }
  }

  async function markDone() {
    try {
      await post("/api/label", {
        passage_id: passageId, item_id: null, action: "done", version: Number(review.dataset.passageVersion),
      });
      location.href = review.dataset.next;
    } catch (err) { fail(err); }
  }

  // ---- forms: edit a record, add a record; selections fill the form in use
  let target = document.getElementById("add-form");
  const selTools = document.getElementById("selection-tools");
  const selText = document.getElementById("sel-text");
  const selTarget = document.getElementById("sel-target");
  let selection = null;

  function describeTarget() {
    const card = target.closest(".card");
    selTarget.textContent = card ? `→ record ${Number(card.dataset.index) + 1} (editing)` : "→ new record";
  }

  function openEdit(card) {
    const form = card.querySelector(".edit-form");
    cards.forEach((c) => { if (c !== card) c.querySelector(".edit-form").hidden = true; });
    form.hidden = false;
    target = form;
    describeTarget();
    form.querySelector('[name="value"]').focus();
  }

  function closeEdit(form) {
    form.hidden = true;
    target = document.getElementById("add-form");
    describeTarget();
  }

  function fieldsOf(form, changedOnly) {
    const card = form.closest(".card");
    const fields = {};
    for (const name of ["material", "property", "value", "unit"]) {
      const value = form.elements[name].value.trim();
      const before = card ? (card.dataset[name] || "") : "";
      if (!changedOnly || value !== before || form.dataset[`${name}Start`] !== undefined) fields[name] = value;
    }
    if (form.dataset.materialStart !== undefined) fields.material_start = Number(form.dataset.materialStart);
    if (form.dataset.valueStart !== undefined) fields.value_start = Number(form.dataset.valueStart);
    return fields;
  }

  for (const card of cards) {
    const form = card.querySelector(".edit-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = fieldsOf(form, true);
      if (!Object.keys(fields).length) { closeEdit(form); return; }
      try {
        await post("/api/label", {
          passage_id: passageId, item_id: card.dataset.item, action: "correct",
          version: Number(card.dataset.version), fields,
        });
        sessionStorage.setItem("pm-message", `Record ${Number(card.dataset.index) + 1} corrected.`);
        location.reload();
      } catch (err) { fail(err); }
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => closeEdit(form));
    form.addEventListener("keydown", (event) => { if (event.key === "Escape") closeEdit(form); });
    card.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => {
      setFocus(cards.indexOf(card));
      if (button.dataset.action === "edit") openEdit(card);
      else act(button.dataset.action);
    }));
  }

  const addForm = document.getElementById("add-form");
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = fieldsOf(addForm, false);
    if (!fields.unit) delete fields.unit;
    try {
      await post("/api/label", { passage_id: passageId, item_id: null, action: "add", version: 0, fields });
      sessionStorage.setItem("pm-message", `Record added: ${fields.material} · ${fields.property} · ${fields.value}.`);
      location.reload();
    } catch (err) { fail(err); }
  });

  document.getElementById("done-button").addEventListener("click", markDone);
  document.getElementById("undo-button").addEventListener("click", undo);

  // Offsets of the selection in the passage text: the rendered text is exactly the passage text.
  function selectedRange() {
    const sel = window.getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!textEl.contains(range.startContainer) || !textEl.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.setStart(textEl, 0);
    before.setEnd(range.startContainer, range.startOffset);
    let start = before.toString().length;
    let text = range.toString();
    const lead = text.length - text.trimStart().length;
    start += lead;
    text = text.trim();
    return text ? { start, text } : null;
  }

  document.addEventListener("selectionchange", () => {
    selection = selectedRange();
    if (!selection) { selTools.hidden = true; return; }
    selText.textContent = selection.text.length > 60 ? `${selection.text.slice(0, 57)}…` : selection.text;
    selTools.hidden = false;
    describeTarget();
  });

  function propertyFor(text) {
    const wanted = text.toLowerCase().replace(/[\s-]+/g, " ");
    for (const [name, words] of Object.entries(vocab)) {
      if (name === wanted.replace(/ /g, "_") || words.some((w) => w.toLowerCase().replace(/[\s-]+/g, " ") === wanted)) return name;
    }
    return null;
  }

  selTools.querySelectorAll("[data-use]").forEach((button) => button.addEventListener("mousedown", (event) => {
    event.preventDefault(); // keep the selection
    if (!selection) return;
    const use = button.dataset.use;
    if (use === "property") {
      const name = propertyFor(selection.text);
      if (!name) { say(`“${selection.text}” is not a property in the vocabulary; choose it from the list.`, "error"); return; }
      target.elements.property.value = name;
    } else {
      target.elements[use].value = selection.text;
      target.dataset[`${use}Start`] = String(selection.start);
    }
    target.elements[use].classList.add("filled");
    setTimeout(() => target.elements[use].classList.remove("filled"), 600);
  }));

  // ---- keyboard
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, button[type=submit]")) return;
    switch (event.key) {
      case "a": act("accept"); break;
      case "r": act("reject"); break;
      case "c": act("credible"); break;
      case "x": act("not_credible"); break;
      case "e": if (cards[focus]) { event.preventDefault(); openEdit(cards[focus]); } break;
      case "u": undo(); break;
      case "d": markDone(); break;
      case "j":
        if (focus < cards.length - 1) setFocus(focus + 1);
        else { sessionStorage.removeItem(focusKey); location.href = review.dataset.next; }
        break;
      case "k":
        if (focus > 0) setFocus(focus - 1);
        else { sessionStorage.removeItem(focusKey); location.href = review.dataset.prev; }
        break;
      case "?": document.getElementById("keys").classList.toggle("open"); break;
      default: return;
    }
  });
})();
