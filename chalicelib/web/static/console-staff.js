// Staff users, roles and the personal-data training register (issue 13 point 6; 別記2 第9). Admin only.
// Every change is recorded in the audit log; a user without this fiscal year's training cannot reveal
// bank accounts.
import { ApiError, api, h } from "./client.js";
import { PAGES, fmt, me, render, setFlash } from "./console-kit.js";
import { act, field, fieldErrors, headRow } from "./console-forms.js";

function table(id, cols, rows) {
  return h("div", { "class": "table-wrap" }, h("table", { id: id, "class": "compact" }, headRow(cols), h("tbody", null, rows)));
}
function roleSelect(roles, value) {
  return h("select", null, roles.map(function (r) { return h("option", { value: r.value, text: r.label, selected: r.value === value ? "" : null }); }));
}
function reload(message) {
  setFlash("ok", message);
  return PAGES.staff();
}

function usersSection(d) {
  var rows = d.users.map(function (u) {
    var select = roleSelect(d.roles, u.role);
    select.setAttribute("aria-label", u.user + " の役割");
    var self = me && me.user === u.user;
    var change = h("button", { type: "button", "class": "small", "data-role-of": u.user, disabled: self || !u.enabled ? "" : null, text: "役割を変更" });
    change.addEventListener("click", function () {
      act(change, function () {
        return api("staff/" + encodeURIComponent(u.user) + "/role", { method: "POST", body: { role: select.value } })
          .then(function () { return reload(u.user + " の役割を変更しました（次回のログインから有効）。"); });
      }, function (err) { setFlash("error", err.message); });
    });
    var disable = h("button", { type: "button", "class": "small danger", "data-disable": u.user, disabled: self || !u.enabled ? "" : null, text: "無効にする" });
    disable.addEventListener("click", function () {
      if (!window.confirm(u.user + " を無効にします。よろしいですか。")) return;
      act(disable, function () {
        return api("staff/" + encodeURIComponent(u.user) + "/disable", { method: "POST" })
          .then(function () { return reload(u.user + " を無効にしました。"); });
      }, function (err) { setFlash("error", err.message); });
    });
    return h("tr", { "data-user": u.user }, h("th", { scope: "row", text: u.user }), h("td", null, select),
      h("td", { text: u.state_label }), h("td", { text: u.trained ? "受講済み" : "未受講", "class": u.trained ? null : "warn" }),
      h("td", { text: u.email || "—" }), h("td", null, change, " ", disable));
  });
  return h("section", { "class": "card", "aria-labelledby": "users-h" }, h("h2", { id: "users-h", text: "担当者と役割" }),
    table("staff-table", ["ユーザー名", "役割", "状態", d.fiscal_label + "の研修", "メールアドレス", "操作"], rows));
}

function inviteSection(d) {
  var inputs = { user: h("input", { type: "text", autocomplete: "off" }), email: h("input", { type: "email", autocomplete: "off" }),
                 role: roleSelect(d.roles, "screener") };
  var box = h("div");
  var button = h("button", { type: "submit", id: "invite-save", text: "招待する" });
  var form = h("form", { id: "invite-form", novalidate: "" },
    field("invite-user", "ユーザー名", inputs.user, "半角英小文字・数字・「._-」の3〜32文字"),
    field("invite-email", "メールアドレス", inputs.email, "招待メール（仮パスワード）の送り先"),
    field("invite-role", "役割", inputs.role), button);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, box);
    act(button, function () {
      return api("staff", { method: "POST", body: { user: inputs.user.value, email: inputs.email.value, role: inputs.role.value } })
        .then(function (r) { return reload(r.user + " を招待しました。"); });
    }, function (err) { if (err.status === 422) fieldErrors(err, inputs, box); else setFlash("error", err.message); });
  });
  return h("section", { "class": "card", "aria-labelledby": "invite-h" }, h("h2", { id: "invite-h", text: "担当者の招待" }), box, form);
}

function trainingSection(d, register) {
  var enabled = d.users.filter(function (u) { return u.enabled; });
  var inputs = {
    user: h("select", null, enabled.map(function (u) { return h("option", { value: u.user, text: u.user + (u.trained ? "" : "（未受講）") }); })),
    fiscal_year: h("input", { type: "number", min: "2020", max: "2100", value: String(d.fiscal_year) }),
    completed_on: h("input", { type: "date" }),
    course: h("input", { type: "text", value: "個人情報保護研修" })
  };
  var box = h("div");
  var button = h("button", { type: "submit", id: "tr-save", text: "受講記録を登録" });
  var form = h("form", { id: "training-form", novalidate: "" },
    field("tr-user", "担当者", inputs.user), field("tr-year", "年度", inputs.fiscal_year, "4月〜翌3月。例: 2026"),
    field("tr-date", "受講日", inputs.completed_on), field("tr-course", "研修名", inputs.course), button);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, box);
    act(button, function () {
      return api("staff/" + encodeURIComponent(inputs.user.value) + "/training", { method: "POST", body: {
        fiscal_year: Number(inputs.fiscal_year.value), completed_on: inputs.completed_on.value, course: inputs.course.value } })
        .then(function (r) { return reload(r.user + " の受講記録を登録しました。"); });
    }, function (err) { if (err.status === 422) fieldErrors(err, inputs, box); else setFlash("error", err.message); });
  });
  var records = register.records.length ? table("training-table", ["担当者", "受講日", "研修名", "登録者", "登録日時"], register.records.map(function (r) {
    return h("tr", { "data-user": r.user }, h("td", { text: r.user }), h("td", { text: r.completed_on }), h("td", { text: r.course }),
      h("td", { text: r.recorded_by }), h("td", { text: fmt(r.recorded_at) }));
  })) : h("p", { "class": "muted", text: "今年度の受講記録はまだありません。" });
  return h("section", { "class": "card", "aria-labelledby": "training-h" },
    h("h2", { id: "training-h", text: "個人情報保護研修の受講記録（" + register.fiscal_label + "）" }),
    h("p", { "class": "hint", text: "今年度の受講記録がない担当者は、口座番号などの個人情報を表示できません。" }),
    register.untrained.length ? h("p", { "class": "warn", id: "untrained", text: "未受講: " + register.untrained.join("、") }) : null,
    records, h("h3", { text: "受講記録の登録" }), box, form);
}

PAGES.staff = function () {
  document.title = "担当者 | 事務局コンソール";
  return Promise.all([api("staff"), api("staff/training")]).then(function (both) {
    render(h("h1", { text: "担当者と研修" }), usersSection(both[0]), inviteSection(both[0]), trainingSection(both[0], both[1]));
  }, function (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, null);
  });
};
