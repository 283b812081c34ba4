// The audit log (readable: actions in Japanese, details as fields, search by id, name, actor or kind; a
// CSV download of what is shown, itself audited) and (locally) the sent mail. Labels come from chalicelib/audit/labels.py through labels.js.
import { CONSOLE, api, download, h } from "./client.js";
import { PAGES, READ_APPLICATIONS, ROLE_LABELS, fmt, hasRole, link, q, refLink, render, setFlash, todayJst } from "./console-kit.js";
import { AUDIT_ACTIONS, AUDIT_FIELDS, AUDIT_SECTIONS, AUDIT_SUBJECTS } from "./labels.js";

function valueText(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (v === true) return "はい";
  if (v === false) return "いいえ";
  if (Array.isArray(v)) return v.length ? v.map(valueText).join("、") : "—";
  if (typeof v === "object") {
    return Object.keys(v).map(function (k) { return (AUDIT_FIELDS[k] || k) + ": " + valueText(v[k]); }).join("／");
  }
  return String(v);
}

// before / after / detail as "label: value" rows, one small list per section.
export function detailFields(e) {
  var parts = [];
  ["before", "after", "detail"].forEach(function (section) {
    var data = e[section];
    if (!data || typeof data !== "object" || !Object.keys(data).length) return;
    var dl = h("dl", { "class": "fields audit-fields", "data-section": section });
    Object.keys(data).forEach(function (k) {
      dl.appendChild(h("dt", { text: AUDIT_FIELDS[k] || k }));
      dl.appendChild(h("dd", { text: valueText(data[k]) }));
    });
    parts.push(h("div", { "class": "audit-section" }, h("p", { "class": "audit-section-label", text: AUDIT_SECTIONS[section] || section }), dl));
  });
  return parts.length ? parts : "—";
}

function subjectCell(e) {
  var parts = String(e.subject || "").split("#");
  var kind = AUDIT_SUBJECTS[parts[0]] || parts[0];
  var id = parts.slice(1).join("#");
  var canLink = parts.length === 2 && (parts[0] === "store" || (parts[0] === "application" && hasRole(READ_APPLICATIONS)));
  return h("span", null, kind + " ", canLink ? refLink(parts[0], id) : h("span", { "class": "mono", text: id }),
    " ", h("a", { href: link("/audit", { q: e.subject }), text: "履歴" }));
}

PAGES.audit = function () {
  document.title = "監査ログ | 事務局コンソール";
  var text = q("q") || q("subject") || "";
  var actor = q("actor") || "";
  var kind = q("kind") || "";
  var day = q("date") || todayJst();
  var params = new URLSearchParams();
  if (text) params.set("q", text); else params.set("date", day);
  if (actor) params.set("actor", actor);
  if (kind) params.set("kind", kind);
  return api("audit?" + params.toString()).then(function (data) {
    var kindSelect = h("select", { id: "audit-kind", name: "kind" }, h("option", { value: "", text: "すべて" }));
    (data.kinds || []).forEach(function (k) {
      var opt = h("option", { value: k.value, text: k.label });
      if (k.value === kind) opt.selected = true;
      kindSelect.appendChild(opt);
    });
    var note = h("p", { "class": "hint", id: "audit-export-note", role: "status" });
    var exportButton = h("button", { type: "button", id: "audit-export", text: "CSVをダウンロード", onclick: function () {
      exportButton.disabled = true;
      download("audit/export?" + params.toString(), "audit.csv").then(function (name) {
        note.textContent = name + " をダウンロードしました（ダウンロードは監査ログに記録されます）。";
      }, function (err) { setFlash("error", err.message || "ダウンロードできませんでした"); })
        .then(function () { exportButton.disabled = false; });
    } });
    var form = h("form", { "class": "filters", method: "get", action: CONSOLE + "/audit", role: "search" },
      h("div", null, h("label", { "for": "audit-date", text: "日付" }), h("input", { type: "date", id: "audit-date", name: "date", value: text ? "" : day })),
      h("div", null, h("label", { "for": "audit-q", text: "番号・店舗名（例: AP000001、MP000001、店舗名）" }),
        h("input", { type: "text", id: "audit-q", name: "q", value: text, size: "28" })),
      h("div", null, h("label", { "for": "audit-actor", text: "担当者（ユーザー名）" }),
        h("input", { type: "text", id: "audit-actor", name: "actor", value: actor, size: "14", "class": "mono" })),
      h("div", null, h("label", { "for": "audit-kind", text: "種類" }), kindSelect),
      h("button", { type: "submit", text: "表示" }));
    var body;
    if (!data.items.length) body = h("p", { "class": "muted", text: "記録はありません。" });
    else {
      var tbody = h("tbody");
      data.items.forEach(function (e) {
        tbody.appendChild(h("tr", { "data-action": e.action },
          h("td", { "class": "nowrap", text: fmt(e.at) + (e.at ? ":" + String(e.at).slice(17, 19) : "") }),
          h("td", { "class": "nowrap" }, h("a", { href: link("/audit", { actor: e.user, date: String(e.at || "").slice(0, 10) }), text: e.user })),
          h("td", { "class": "nowrap", text: ROLE_LABELS[e.role] || (e.role === "public" ? "申請者" : e.role === "system" ? "システム" : e.role) }),
          h("td", { "class": "nowrap audit-action", title: e.action, text: AUDIT_ACTIONS[e.action] || e.action }),
          h("td", { "class": "nowrap" }, subjectCell(e)),
          h("td", null, detailFields(e))));
      });
      body = h("div", { "class": "table-wrap" }, h("table", { id: "audit" },
        h("thead", null, h("tr", null, ["日時", "担当者", "役割", "操作", "対象", "内容"].map(function (t) { return h("th", { scope: "col", text: t }); }))),
        tbody));
    }
    var what = text ? "「" + text + "」" + (data.matched_by === "name" ? "（店舗名で検索: " + (data.subjects || []).length + " 件の対象）" : "")
      : day;
    render(h("h1", { text: "監査ログ" }), form,
      h("section", { "class": "card" },
        h("p", { "class": "muted", id: "audit-count", text: what + (actor ? "・担当者 " + actor : "") +
          (kind ? "・種類 " + ((data.kinds || []).filter(function (k) { return k.value === kind; }).map(function (k) { return k.label; })[0] || kind) : "") +
          " の記録: " + data.items.length + " 件" }),
        h("div", { "class": "actions" }, exportButton), note, body));
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
