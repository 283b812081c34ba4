// One session: what it is, its public links, changing or cancelling it, attendance and the paper surveys.
import { BASE, api, h } from "./client.js";
import { ITEM, PAGES, fieldList, render, setFlash } from "./console-kit.js";
import { act, field, fieldErrors, number } from "./console-forms.js";
import { cancelForm, planningForm } from "./console-sessions-form.js";
import { SESSIONS, areaName, canWrite, dayLabel, regionOf, statusBadge, tabs, whenLabel } from "./console-sessions-kit.js";
import { surveyEntry } from "./console-sessions-survey.js";

function attendanceForm(s) {
  var inputs = {
    attendees: h("input", { type: "number", name: "attendees", min: "0", inputmode: "numeric" }),
    manuals: h("input", { type: "number", name: "manuals", min: "0", inputmode: "numeric" })
  };
  inputs.attendees.value = s.attendees === null || s.attendees === undefined ? "" : s.attendees;
  inputs.manuals.value = s.manuals === null || s.manuals === undefined ? "" : s.manuals;
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "primary", id: "attendance-save", text: "参加者数を記録" });
  return h("form", { id: "attendance-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    function num(v) { return v === "" ? null : Number(v); }
    act(button, function () {
      return api("sessions/" + encodeURIComponent(s.session_id) + "/attendance", { method: "POST",
        body: { attendees: num(inputs.attendees.value), manuals: num(inputs.manuals.value), version: s.version } }).then(function () {
        return PAGES.session().then(function () { setFlash("ok", "参加者数を記録しました（" + inputs.attendees.value + "人）。"); });
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } }, errors,
    h("div", { "class": "form-row" }, field("a-attendees", "参加者数（人）", inputs.attendees),
      field("a-manuals", "手引きを渡した数（部）", inputs.manuals)),
    h("div", { "class": "actions" }, button));
}

function publicLinks(s) {
  var flyer = BASE + "sessions/" + encodeURIComponent(s.session_id) + "/flyer.pdf";
  var survey = BASE + "sessions/" + encodeURIComponent(s.session_id) + "/survey";
  return h("ul", { "class": "links" },
    h("li", null, h("a", { href: flyer, id: "flyer-link", target: "_blank", rel: "noopener", text: "チラシ（PDF・A4）" }),
      s.announced === false ? h("span", { "class": "muted", text: "（告知日まで公開されません）" }) : null),
    h("li", null, h("a", { href: survey, id: "survey-link", target: "_blank", rel: "noopener", text: "公開アンケートのページ（QRコードの行き先）" })),
    h("li", null, h("a", { href: BASE + "sessions", target: "_blank", rel: "noopener", text: "公開ページ（相談会のご案内）" })));
}

PAGES.session = function () {
  tabs();
  return api("sessions/" + encodeURIComponent(ITEM)).then(function (s) {
    var write = canWrite() && s.status !== "cancelled";
    // Attendance and paper surveys from the session's day on; changes while it is planned.
    var running = write && s.attendance_open !== false;
    var editable = write && s.editable !== false;
    var surveys = Array.isArray(s.surveys) ? s.surveys.length : s.surveys;
    var notYet = write && !running ? h("p", { "class": "hint", id: "not-yet",
      text: "参加者数とアンケートは、開催日（" + dayLabel(s.starts_at) + "）から入力できます。" }) : null;
    render(
      h("p", { "class": "crumbs" }, h("a", { href: SESSIONS, text: "相談会の日程" }), " ＞ " + s.session_id),
      h("h1", null, s.session_id + " " + (s.area_name || areaName(s.area_code)) + " " + dayLabel(s.starts_at) + " ", statusBadge(s.status)),
      s.status === "cancelled" ? h("div", { "class": "problem", id: "cancelled-note" }, h("h2", { text: "中止になった相談会です" }),
        h("p", { text: "理由：" + (s.cancel_reason || "—") })) : null,
      h("div", { "class": "grid2" },
        h("section", { "class": "card", "aria-labelledby": "info-h" }, h("h2", { id: "info-h", text: "内容" }),
          fieldList([
            ["地域", (s.area_name || areaName(s.area_code)) + "（" + (s.region || regionOf(s.area_code)) + "）"],
            ["日時", whenLabel(s.starts_at, s.ends_at)],
            ["会場", s.venue], ["住所", s.address], ["定員", s.capacity ? s.capacity + "人" : null],
            ["告知日", s.announce_on ? dayLabel(String(s.announce_on).slice(0, 10) + "T00:00:00+09:00") : null],
            ["協力先", s.partner], ["担当スタッフ", (s.staff || []).join("、")], ["メモ", s.notes],
            ["参加者数", s.attendees === null || s.attendees === undefined ? null : number(s.attendees) + "人"],
            ["手引き配布", s.manuals === null || s.manuals === undefined ? null : number(s.manuals) + "部"],
            ["アンケート", surveys === undefined || surveys === null ? null : number(surveys) + "件"]
          ]),
          // The public page takes at most one answer per participant (attendance, or capacity before).
          s.survey_over_limit ? h("p", { "class": "hint", id: "survey-over-limit",
            text: "アンケートの件数が" + (s.attendees === null || s.attendees === undefined ? "定員" : "参加者数") +
              "（" + number(s.survey_limit) + "）を超えています。参加者数か入力内容を確認してください。" }) : null,
          publicLinks(s)),
        write ? h("section", { "class": "card", "aria-labelledby": "att-h" }, h("h2", { id: "att-h", text: "当日の記録" }),
          running ? attendanceForm(s) : notYet) : null),
      running ? h("section", { "class": "card", "aria-labelledby": "sv-h" },
        h("h2", { id: "sv-h", text: "アンケートの入力（紙の用紙から）" }), surveyEntry(s)) : null,
      editable ? h("details", { "class": "card", id: "edit-card" }, h("summary", { text: "内容を変更する" }),
        planningForm(s, function () {
          return PAGES.session().then(function () { setFlash("ok", s.session_id + " の変更を保存しました。"); });
        })) : null,
      s.status === "scheduled" && write ? h("details", { "class": "card", id: "cancel-card" }, h("summary", { text: "中止にする" }),
        cancelForm(s, PAGES.session)) : null);
  });
};
