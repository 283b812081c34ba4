// The planning form of a consultation session (create and edit) and the cancel form.
// Every field error of a 422 answer is shown at once, next to its field and in a summary.
import { api, h } from "./client.js";
import { setFlash } from "./console-kit.js";
import { act, field, fieldErrors } from "./console-forms.js";
import { AREAS } from "./console-kit.js";
import { REGIONS, isoJst, jst } from "./console-sessions-kit.js";

function areaSelect() {
  var select = h("select", { name: "area_code" }, h("option", { value: "", text: "選んでください" }));
  REGIONS.forEach(function (region) {
    var group = h("optgroup", { label: region });
    AREAS.filter(function (a) { return a.region === region; }).forEach(function (a) {
      group.appendChild(h("option", { value: a.code, text: a.name }));
    });
    select.appendChild(group);
  });
  return select;
}

// `existing`: the session being edited (its detail from GET /sessions/{id}) or null for a new one.
// `onSaved(sessionId, created)` runs after a successful save (it re-renders and sets the message).
export function planningForm(existing, onSaved) {
  var s = existing || {};
  var start = s.starts_at ? jst(s.starts_at) : null, end = s.ends_at ? jst(s.ends_at) : null;
  var inputs = {
    area_code: areaSelect(),
    venue: h("input", { type: "text", name: "venue", maxlength: "100", autocomplete: "off" }),
    address: h("input", { type: "text", name: "address", maxlength: "200", autocomplete: "off" }),
    day: h("input", { type: "date", name: "day" }),
    starts_at: h("input", { type: "time", name: "starts_at", step: "300" }),
    ends_at: h("input", { type: "time", name: "ends_at", step: "300" }),
    capacity: h("input", { type: "number", name: "capacity", min: "1", max: "1000", inputmode: "numeric" }),
    announce_on: h("input", { type: "date", name: "announce_on" }),
    partner: h("input", { type: "text", name: "partner", maxlength: "100", autocomplete: "off" }),
    staff: h("input", { type: "text", name: "staff", maxlength: "200", autocomplete: "off" }),
    notes: h("textarea", { name: "notes", maxlength: "1000" })
  };
  inputs.area_code.value = s.area_code || "";
  inputs.venue.value = s.venue || "";
  inputs.address.value = s.address || "";
  inputs.day.value = start ? start.date : "";
  inputs.starts_at.value = start ? start.time : "";
  inputs.ends_at.value = end ? end.time : "";
  inputs.capacity.value = s.capacity || "";
  inputs.announce_on.value = s.announce_on ? String(s.announce_on).slice(0, 10) : "";
  inputs.partner.value = s.partner || "";
  inputs.staff.value = (s.staff || []).join("、");
  inputs.notes.value = s.notes || "";
  var errors = h("div", { id: "plan-errors" });
  var button = h("button", { type: "submit", "class": "primary", id: "plan-save", text: existing ? "変更を保存" : "登録する" });

  function body() {
    var b = {
      area_code: inputs.area_code.value,
      venue: inputs.venue.value.trim(),
      address: inputs.address.value.trim(),
      starts_at: isoJst(inputs.day.value, inputs.starts_at.value),
      ends_at: isoJst(inputs.day.value, inputs.ends_at.value),
      capacity: inputs.capacity.value === "" ? null : Number(inputs.capacity.value),
      announce_on: inputs.announce_on.value,
      partner: inputs.partner.value.trim(),
      staff: inputs.staff.value.split(/[、,，\s]+/).filter(Boolean),
      notes: inputs.notes.value.trim()
    };
    if (existing) b.version = s.version;
    return b;
  }
  // What the form itself can see (empty date or times); the API's checks follow in the same list.
  function localProblems() {
    var fields = {};
    if (!inputs.day.value) fields.day = "開催日を入力してください";
    return fields;
  }

  var form = h("form", { id: existing ? "edit-form" : "plan-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    act(button, function () {
      var path = existing ? "sessions/" + encodeURIComponent(s.session_id) : "sessions";
      return api(path, { method: existing ? "PUT" : "POST", body: body() }).then(function (res) {
        button.disabled = false;
        return onSaved(existing ? s.session_id : res.session_id, !existing);
      });
    }, function (err) {
      var local = localProblems();
      if (err.status === 422 || Object.keys(local).length) {
        err.fields = Object.assign(local, err.fields || {});
        if (local.day && !err.fields.starts_at) delete err.fields.starts_at;
        if (!err.message || err.status !== 422) err.message = "入力内容を確認してください";
      }
      fieldErrors(err, inputs, errors);
    });
  } },
    errors,
    field("s-area", "地域（39地域）", inputs.area_code),
    h("div", { "class": "form-row" },
      field("s-venue", "会場名", inputs.venue),
      field("s-capacity", "定員（人）", inputs.capacity)),
    field("s-address", "会場の住所", inputs.address),
    h("div", { "class": "form-row" },
      field("s-day", "開催日", inputs.day),
      field("s-start", "開始", inputs.starts_at, "日本時間"),
      field("s-end", "終了", inputs.ends_at, "日本時間")),
    field("s-announce", "告知日（公開ページ・チラシに載せる日）", inputs.announce_on, "開催日の一定日数以上前にしてください"),
    h("div", { "class": "form-row" },
      field("s-partner", "協力先（市町村の窓口など）", inputs.partner),
      field("s-staff", "担当スタッフ", inputs.staff, "複数は「、」で区切ります")),
    field("s-notes", "メモ（内部用）", inputs.notes),
    h("div", { "class": "actions" }, button));
  return form;
}

// Cancel with a reason: the record stays, marked 中止 (also on the public page).
export function cancelForm(s, onDone) {
  var inputs = { reason: h("textarea", { name: "reason", maxlength: "500" }) };
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "reject", id: "cancel-session", text: "この相談会を中止する" });
  return h("form", { id: "cancel-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    act(button, function () {
      return api("sessions/" + encodeURIComponent(s.session_id) + "/cancel", { method: "POST",
        body: { reason: inputs.reason.value.trim(), version: s.version } }).then(function () {
        return onDone().then(function () { setFlash("ok", s.session_id + " を中止にしました。公開ページには「中止」と表示されます。"); });
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } }, errors, field("c-reason", "中止の理由", inputs.reason, "記録に残ります（公開ページには出ません）"),
    h("div", { "class": "actions" }, button));
}
