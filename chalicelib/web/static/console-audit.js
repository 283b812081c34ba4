// The audit log and (locally) the sent mail.
import { CONSOLE, api, h } from "./client.js";
import { AUDIT_ACTIONS, PAGES, READ_APPLICATIONS, ROLE_LABELS, fmt, hasRole, link, q, refLink, render, todayJst } from "./console-kit.js";

PAGES.audit = function () {
  document.title = "監査ログ | 事務局コンソール";
  var subject = q("subject") || "";
  var day = q("date") || todayJst();
  var path = subject ? "audit?subject=" + encodeURIComponent(subject) : "audit?date=" + encodeURIComponent(day);
  return api(path).then(function (data) {
    var form = h("form", { "class": "filters", method: "get", action: CONSOLE + "/audit", role: "search" },
      h("div", null, h("label", { "for": "audit-date", text: "日付" }), h("input", { type: "date", id: "audit-date", name: "date", value: subject ? "" : day })),
      h("div", null, h("label", { "for": "audit-subject", text: "または対象（例: application#AP000001）" }),
        h("input", { type: "text", id: "audit-subject", name: "subject", value: subject, size: "28", "class": "mono" })),
      h("button", { type: "submit", text: "表示" }));
    var body;
    if (!data.items.length) body = h("p", { "class": "muted", text: "記録はありません。" });
    else {
      var tbody = h("tbody");
      data.items.forEach(function (e) {
        var parts = String(e.subject || "").split("#");
        var target = parts.length === 2 && (parts[0] === "application" || parts[0] === "store") && (parts[0] === "store" || hasRole(READ_APPLICATIONS))
          ? h("span", null, parts[0] === "store" ? "店舗 " : "申込 ", refLink(parts[0], parts[1]),
              " ", h("a", { href: link("/audit", { subject: e.subject }), text: "履歴" }))
          : e.subject;
        var detail = {};
        ["before", "after", "detail"].forEach(function (k) { if (e[k]) detail[k] = e[k]; });
        tbody.appendChild(h("tr", null,
          h("td", { style: "white-space:nowrap", text: fmt(e.at) + (e.at ? ":" + String(e.at).slice(17, 19) : "") }),
          h("td", { style: "white-space:nowrap", text: e.user }),
          h("td", { style: "white-space:nowrap", text: ROLE_LABELS[e.role] || (e.role === "public" ? "申請者" : e.role) }),
          h("td", { style: "white-space:nowrap", text: AUDIT_ACTIONS[e.action] || e.action }),
          h("td", { style: "white-space:nowrap" }, target),
          h("td", null, Object.keys(detail).length ? h("pre", { "class": "detail-json", text: JSON.stringify(detail) }) : "—")));
      });
      body = h("div", { "class": "table-wrap" }, h("table", { id: "audit" },
        h("thead", null, h("tr", null, ["日時", "利用者", "役割", "操作", "対象", "内容"].map(function (t) { return h("th", { scope: "col", text: t }); }))),
        tbody));
    }
    render(h("h1", { text: "監査ログ" }), form,
      h("section", { "class": "card" },
        h("p", { "class": "muted", style: "margin-top:0", text: (subject ? "対象 " + subject : day) + " の記録: " + data.items.length + " 件" }), body));
  });
};

export function linkify(text) {
  var nodes = [];
  var re = /https?:\/\/[^\s<>"]+/g;
  var last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) nodes.push(text.slice(last, m.index));
    nodes.push(h("a", { href: m[0], text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

PAGES.mail = function () {
  document.title = "送信メール | 事務局コンソール";
  var to = q("to") || "";
  return api("mail" + (to ? "?to=" + encodeURIComponent(to) : "")).then(function (data) {
    var form = h("form", { "class": "filters", method: "get", action: CONSOLE + "/mail", role: "search" },
      h("div", null, h("label", { "for": "mail-to", text: "宛先で絞り込む" }),
        h("input", { type: "text", id: "mail-to", name: "to", value: to, size: "30", inputmode: "email" })),
      h("button", { type: "submit", text: "絞り込む" }));
    var list = h("div", { id: "mails" });
    (data.items || []).forEach(function (m, i) {
      var dest = m.destinations || {};
      var toList = [].concat(dest.ToAddresses || [], dest.CcAddresses || [], dest.BccAddresses || []);
      var when = m.timestamp || m.date || m.sent_at || null;
      list.appendChild(h("article", { "class": "mail", "aria-labelledby": "mail-" + i },
        h("header", null,
          h("h2", { id: "mail-" + i, text: m.subject || "（件名なし）" }),
          h("p", { "class": "meta" }, (when ? fmt(when) + "　" : ""), "宛先: " + (toList.join(", ") || "—") + "　差出人: " + (m.source || "—"))),
        h("pre", null, linkify(String(m.body || "")))));
    });
    render(h("h1", { text: "送信メール（ローカル環境）" }),
      h("p", { "class": "hint", text: "ローカル環境で送信したメールです（新しい順。実際には送信されません）。" }),
      form, data.items && data.items.length ? list : h("p", { "class": "muted", text: "メールはありません。" }));
  });
};
