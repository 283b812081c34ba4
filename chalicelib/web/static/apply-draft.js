// The unsent application kept in this browser (localStorage) across a reload, and a warning before
// leaving a filled, unsent form.
//
// Never kept: the account number (with the bank, branch and holder it is everything a fraudster needs,
// and a shop's computer is often shared), the pledges (made on purpose each time) and the hidden
// honeypot. The holder name is kept: it is the store's or owner's name, already in the draft as the
// store name and representative, and retyping it is where kana mistakes happen.
import { el, form } from "./apply-fields.js";

var KEY = "miyapo.apply-draft";
var VERSION = 1;
var MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
export var DRAFT_FIELDS = ["store_name", "store_name_kana", "entity_type", "representative", "business_category", "goods",
  "postal_code", "municipality_code", "address", "phone", "email", "bank.bank_code", "bank.branch_code",
  "bank.account_type", "bank.holder_kana", "previous_store_id"];

var enabled = false;
var dirty = false;
var sent = false;
var timer = null;

function storage() {
  try { return window.localStorage; } catch (e) { return null; /* storage disabled: no draft */ }
}

function read(name) {
  if (name === "entity_type") {
    var checked = form.querySelector("input[name=entity_type]:checked");
    return checked ? checked.value : "";
  }
  return el(name).value;
}

function write(name, value) {
  if (typeof value !== "string") return;
  if (name === "entity_type") {
    var radio = form.querySelector("input[name=entity_type][value=" + JSON.stringify(value) + "]");
    if (radio) radio.checked = true;
    return;
  }
  el(name).value = value;
}

export function saveDraft() {
  var store = storage();
  clearTimeout(timer);
  if (!enabled || sent || !store) return;
  var fields = {};
  var any = false;
  DRAFT_FIELDS.forEach(function (name) {
    var v = read(name);
    if (v) { fields[name] = v; any = true; }
  });
  try {
    if (any) store.setItem(KEY, JSON.stringify({ v: VERSION, saved_at: Date.now(), fields: fields }));
    else store.removeItem(KEY);
  } catch (e) { /* full or disabled: the form works without a draft */ }
}

// Fills the form from the saved draft; true when there was one.
export function restoreDraft() {
  var store = storage();
  if (!store) return false;
  var draft = null;
  try { draft = JSON.parse(store.getItem(KEY) || "null"); } catch (e) { draft = null; }
  if (!draft || draft.v !== VERSION || !draft.fields || Date.now() - draft.saved_at > MAX_AGE_MS) {
    clearDraft();
    return false;
  }
  DRAFT_FIELDS.forEach(function (name) { write(name, draft.fields[name]); });
  return true;
}

export function clearDraft() {
  var store = storage();
  try { if (store) store.removeItem(KEY); } catch (e) { /* nothing stored */ }
}

// After a successful submit: nothing kept, nothing to warn about.
export function markSent() {
  sent = true;
  dirty = false;
  clearDraft();
}

export function startDrafts(keep) {
  enabled = keep;
  function changed() {
    if (sent) return;
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(saveDraft, 400);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("beforeunload", function (e) {
    saveDraft();
    if (dirty && !sent) {
      e.preventDefault();
      e.returnValue = "";  // older browsers need a value to show their own "leave this page?" dialog
    }
  });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") saveDraft(); });
}

// The applicant emptied the form on purpose: nothing left to warn about.
export function forgetChanges() {
  dirty = false;
}
