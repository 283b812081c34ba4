// The screening queue; for the prefecture it opens on 県への照会 (what screeners referred to it).
import { CONSOLE, api, h } from "./client.js";
import { APP_STATUSES, PAGES, areaOptions, fmt, hasRole, link, pager, q, render, statusBadge } from "./console-kit.js";

PAGES.queue = function () {
  var prefecture = hasRole(["prefecture"]) && !hasRole(["screener", "admin"]);
  var status = q("status") || (prefecture ? "referred" : "submitted");
  var title = status === "referred" && prefecture ? "県への照会" : "審査キュー";
  document.title = title + " | 事務局コンソール";
  var municipality = q("municipality") || "";
  var flagged = q("flagged") === "1";
  var params = { status: status, municipality: municipality, flagged: flagged ? "1" : "" };
  var apiParams = new URLSearchParams({ status: status });
  if (municipality) apiParams.set("municipality", municipality);
  if (flagged) apiParams.set("flagged", "1");
  if (q("cursor")) apiParams.set("cursor", q("cursor"));

  // Screeners waiting in 審査待ち also see when the prefecture has answered referrals (their own tab).
  var judgedWaiting = status === "submitted" && hasRole(["screener"])
    ? api("applications?status=judged&limit=50").catch(function () { return null; }) : Promise.resolve(null);

  return Promise.all([api("applications?" + apiParams.toString()), judgedWaiting]).then(function (answers) {
    var data = answers[0];
    var judged = answers[1];
    var judgedNote = judged && judged.items.length ? h("p", { "class": "flags", id: "judged-waiting", role: "status",
      style: "border:1px solid #b9c8d6;background:#eef4fa;padding:8px 12px;border-radius:4px" },
      "県の判断が記録された申込が " + judged.items.length + (judged.next_cursor ? " 件以上" : " 件") + " あります。 ",
      h("a", { href: link("", { status: "judged" }), text: "「県の判断あり」を開く" })) : null;
    var tabs = h("ul", { "class": "tabs", "aria-label": "申込の状態" });
    APP_STATUSES.forEach(function (s) {
      tabs.appendChild(h("li", null, h("a", { href: link("", { status: s[0], municipality: municipality, flagged: flagged ? "1" : "" }),
        "aria-current": s[0] === status ? "page" : null, text: s[1] })));
    });
    var areaSelect = h("select", { id: "municipality", name: "municipality" }, h("option", { value: "", text: "すべて" }));
    areaOptions().forEach(function (o) {
      areaSelect.appendChild(h("option", { value: o.code, text: o.name, selected: o.code === municipality }));
    });
    var filters = h("form", { "class": "filters", method: "get", action: CONSOLE, role: "search" },
      h("input", { type: "hidden", name: "status", value: status }),
      h("div", null, h("label", { "for": "municipality", text: "市区町村" }), areaSelect),
      h("label", { "class": "check" }, h("input", { type: "checkbox", name: "flagged", value: "1", checked: flagged }),
        "重複疑い・警告のあるものだけ"),
      h("button", { type: "submit", text: "絞り込む" }));

    var label = (APP_STATUSES.filter(function (s) { return s[0] === status; })[0] || [status, status])[1];
    var body;
    if (!data.items.length) {
      body = h("p", { "class": "muted", id: "queue-empty", text: "該当する申込はありません。" });
    } else {
      var tbody = h("tbody");
      data.items.forEach(function (r) {
        var badges = [];
        if (r.duplicate_count) badges.push(h("span", { "class": "badge dup", text: "重複疑い " + r.duplicate_count + "件" }));
        (r.warnings || []).forEach(function () { badges.push(h("span", { "class": "badge warn", text: "警告" })); });
        if (r.revision > 1) badges.push(h("span", { "class": "badge status", text: "再提出" }));
        if (r.prefecture_judgement) badges.push(h("span", { "class": "badge status judgement", "data-judgement": r.prefecture_judgement,
          text: "県: " + (r.prefecture_judgement_label || r.prefecture_judgement) }));
        if (r.referred_at) badges.push(h("span", { "class": "badge warn", text: "照会 " + fmt(r.referred_at) }));
        tbody.appendChild(h("tr", { "data-application": r.application_id },
          h("td", null, h("a", { href: CONSOLE + "/applications/" + encodeURIComponent(r.application_id), "class": "mono", text: r.application_id })),
          h("td", { text: r.store_name }),
          h("td", { text: r.municipality_name }),
          h("td", { text: r.business_category }),
          h("td", { text: fmt(r.submitted_at) }),
          h("td", { text: "第" + r.revision + "版" }),
          h("td", null, statusBadge(r.status, r.status_label)),
          h("td", null, badges.length ? badges : h("span", { "class": "muted", text: "—" })),
          h("td", null, r.store_id ? h("a", { href: CONSOLE + "/stores/" + encodeURIComponent(r.store_id), "class": "mono", text: r.store_id }) : "")));
      });
      body = h("div", { "class": "table-wrap" }, h("table", { id: "queue" },
        h("caption", { "class": "visually-hidden", text: label + "の申込一覧" }),
        h("thead", null, h("tr", null, ["申込番号", "店舗名", "市区町村", "業種", "受付日時", "版", "状態", "重複疑い・警告・県の判断", "店舗ID"].map(function (t) {
          return h("th", { scope: "col", text: t });
        }))), tbody));
    }
    var intro = status === "referred" ? h("p", { "class": "hint", id: "referred-intro", text: prefecture
      ? "事務局の審査担当者が県の判断を求めている申込です。申込を開いて内容と照会事項を確認し、県の判断を記録してください。"
      : "県に判断を照会している申込です。県の判断が記録されると「県の判断あり」に移ります。" })
      : status === "judged" ? h("p", { "class": "hint", id: "judged-intro", text: "県の判断が記録された申込です。判断を踏まえて判定を完了してください。" })
      : null;
    render(h("h1", { text: title }), judgedNote, tabs, intro, filters,
      h("section", { "class": "card", "aria-label": label + "の申込" },
        h("p", { "class": "muted", style: "margin-top:0", text: label + ": このページに " + data.items.length + " 件" }),
        body, pager(data.next_cursor, params, "")));
  });
};
