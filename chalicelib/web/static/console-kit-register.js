// The store kit register (/console/kit-register): handoff batches to the app provider and their CSV,
// the provider's answer upload with its report, the credentials letter and the kit per store, the
// shipping list, and shipped / returned / re-send records. docs/store-kit.md describes the API.
import { ApiError, BASE, api, download, h, requestHeaders } from "./client.js";
import { PAGES, fmt, hasRole, link, pager, q, render, setFlash, showProblem } from "./console-kit.js";

var WORK = ["screener", "admin"];
var CREDENTIAL_STATES = { not_handed_off: "未引渡し", awaiting_answer: "回答待ち", ready: "印刷できます",
                          issued: "発行済み", reissue_requested: "再発行依頼中" };
var KIT_STATES = { not_ready: "回答待ち", ready: "未発送", shipped: "発送済み", returned: "返送あり", reissue: "再送待ち" };
var REQUEST_TYPES = { "new": "新規", reissue: "再発行" };

function canWork() { return hasRole(WORK); }

// The letter is a POST (printing it erases the stored password): fetched with the token, saved as a file.
function postFile(path, fallbackName) {
  var headers = requestHeaders({}, "*/*");
  headers["Content-Type"] = "application/json";
  return fetch(BASE + path, { method: "POST", headers: headers, body: "{}" }).then(function (res) {
    if (!res.ok) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        throw new ApiError(res.status, body);
      });
    }
    return res.blob().then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = h("a", { href: url, download: fallbackName, hidden: true });
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
      return fallbackName;
    });
  }, function () { throw new ApiError(0, null); });
}

function failed(err) { setFlash("error", err.message || "操作できませんでした"); }

function batchesCard(overview) {
  var rows = h("tbody");
  overview.batches.forEach(function (b) {
    rows.appendChild(h("tr", null,
      h("td", null, h("a", { "class": "mono", href: link("/kit-register", { batch: b.batch_id }), text: b.batch_id })),
      h("td", { text: fmt(b.created_at) }), h("td", { text: b.created_by }),
      h("td", { text: b.stores + "店舗" + (b.reissue ? "（うち再発行 " + b.reissue + "）" : "") }),
      h("td", null, canWork() ? [
        h("button", { type: "button", "class": "handoff-csv", "data-batch": b.batch_id, onclick: function () {
          download("stores/kit-batches/" + b.batch_id + "/handoff.csv", "handoff-" + b.batch_id + ".csv").catch(failed);
        }, text: "引渡リスト（CSV）" }), " ",
        h("button", { type: "button", "class": "shipping-csv", "data-batch": b.batch_id, onclick: function () {
          download("stores/kit-batches/" + b.batch_id + "/shipping-list.csv", "shipping-" + b.batch_id + ".csv").catch(failed);
        }, text: "発送リスト（CSV）" }), " ",
        h("button", { type: "button", "class": "batch-letters", "data-batch": b.batch_id, onclick: function () {
          postFile("stores/kit-batches/" + b.batch_id + "/credentials-letters", "credentials-" + b.batch_id + ".pdf").then(function () {
            setFlash("ok", b.batch_id + " の通知書をまとめてダウンロードしました。保管していた初期パスワードは消去しました。");
            return reloadRegister();
          }, failed);
        }, text: "通知書を一括印刷" }), " ",
        h("button", { type: "button", "class": "batch-kits", "data-batch": b.batch_id, onclick: function () {
          download("stores/kit-batches/" + b.batch_id + "/kits.pdf", "kits-" + b.batch_id + ".pdf").then(function () {
            setFlash("ok", b.batch_id + " の未発送の店舗のキットをまとめてダウンロードしました。");
          }, failed);
        }, text: "キットを一括印刷" })
      ] : "—")));
  });
  var create = canWork() ? h("button", { type: "button", "class": "primary", id: "new-batch", disabled: !overview.pending,
    onclick: function () {
      create.disabled = true;
      api("stores/kit-batches", { method: "POST" }).then(function (made) {
        return reload().then(function () {
          setFlash("ok", made.batch_id + " を作成しました（" + made.stores + "店舗）。引渡リストをダウンロードしてアプリ事業者へ送ってください。");
        });
      }, function (err) { create.disabled = false; failed(err); });
    }, text: "新しい引渡バッチを作成" }) : null;
  return h("section", { "class": "card", "aria-labelledby": "handoff-h" },
    h("h2", { id: "handoff-h", text: "アプリ事業者への引渡し" }),
    h("p", { id: "pending", text: "引渡し待ち: " + overview.pending + "店舗（新規 " + overview.pending_new + "、再発行 " +
      overview.pending_reissue + "）" }),
    create,
    overview.batches.length ? h("div", { "class": "table-wrap" }, h("table", { id: "batches" },
      h("thead", null, h("tr", null, ["バッチ", "作成日時", "作成者", "店舗数", "ファイル"].map(function (t) {
        return h("th", { scope: "col", text: t }); }))), rows))
      : h("p", { "class": "muted", text: "引渡バッチはまだありません。" }));
}

function answerCard() {
  var input = h("input", { type: "file", id: "answer-file", accept: ".csv,text/csv", "aria-describedby": "answer-hint" });
  var out = h("div", { id: "answer-report", "aria-live": "polite" });
  var button = h("button", { type: "button", "class": "primary", id: "upload-answer", onclick: function () {
    var file = input.files && input.files[0];
    if (!file) { setFlash("error", "回答ファイル（CSV）を選んでください"); input.focus(); return; }
    button.disabled = true;
    api("stores/provider-answer", { method: "POST", raw: file, contentType: "text/csv" }).then(function (report) {
      button.disabled = false;
      setFlash(report.rejected.length ? "warn" : "ok", "回答ファイルを取り込みました: " + report.rows + "行中 " + report.accepted +
        "行を受け付け（新規 " + report.imported + "、取込済み " + report.unchanged + "）、" + report.rejected.length + "行を受け付けませんでした。");
      out.replaceChildren(report.rejected.length ? h("ul", { id: "answer-rejected" }, report.rejected.map(function (r) {
        return h("li", { text: r.line + "行目: " + r.reason }); })) : h("p", { text: "すべての行を受け付けました。" }));
      return reloadRegister();
    }, function (err) { button.disabled = false; failed(err); });
  }, text: "取り込む" });
  return h("section", { "class": "card", "aria-labelledby": "answer-h" },
    h("h2", { id: "answer-h", text: "アプリ事業者の回答の取込" }),
    h("p", { "class": "hint", id: "answer-hint",
      text: "列: store_id, login_id, initial_password, qr_payload。同じファイルをもう一度取り込んでも変わりません。初期パスワードは暗号化して保管し、通知書の印刷時に消去します。" }),
    h("div", { "class": "filters" }, h("div", null, h("label", { "for": "answer-file", text: "回答ファイル（CSV）" }), input), button),
    out);
}

function shipForm(s) {
  var tracking = h("input", { type: "text", name: "tracking_number", "class": "mono", size: "16", autocomplete: "off",
                              "aria-label": s.store_id + " のお問い合わせ伝票番号", placeholder: "伝票番号" });
  var ship = h("button", { type: "button", "class": "ship", onclick: function () {
    act("stores/" + s.store_id + "/kit-shipment", { tracking_number: tracking.value.trim() }, s.store_id + " を発送済みにしました");
  }, text: "発送済み" });
  return h("span", { "class": "ship-form" }, tracking, " ", ship);
}

function act(path, body, message) {
  return api(path, { method: "POST", body: body }).then(function () {
    setFlash("ok", message);
    return reloadRegister();
  }, function (err) {
    var first = err.fields && Object.keys(err.fields).length ? "（" + err.fields[Object.keys(err.fields)[0]] + "）" : "";
    setFlash("error", err.message + first);
  });
}

function actions(s) {
  if (!canWork()) return "—";
  var out = [];
  var cred = s.credentials.state;
  if (cred === "ready" || cred === "issued") {
    out.push(h("button", { type: "button", "class": "print-letter", onclick: function () {
      postFile("stores/" + s.store_id + "/credentials-letter", "credentials-" + s.store_id + ".pdf").then(function () {
        setFlash("ok", s.store_id + " の通知書を印刷用にダウンロードしました。保管していた初期パスワードは消去しました。");
        return reloadRegister();
      }, function (err) {
        failed(err);
        if (err.fields && err.fields.reissue) reissueButton(s);
      });
    }, text: "通知書を印刷" }));
  }
  if (cred === "issued") {
    out.push(h("button", { type: "button", "class": "reissue", onclick: function () { askReissue(s); }, text: "再発行を依頼" }));
  }
  if (s.kit.state !== "not_ready") {
    out.push(h("button", { type: "button", "class": "print-kit", onclick: function () {
      download("stores/" + s.store_id + "/kit.pdf", "kit-" + s.store_id + ".pdf").then(function () {
        setFlash("ok", s.store_id + " のキット（台紙・ポスター・チラシ）をダウンロードしました。");
      }, failed);
    }, text: "キットを印刷" }));
  }
  if (s.kit.state === "ready" || s.kit.state === "reissue") out.push(shipForm(s));
  if (s.kit.state === "shipped") {
    out.push(h("button", { type: "button", "class": "returned", onclick: function () {
      act("stores/" + s.store_id + "/kit-return", { reason: "宛先不明" }, s.store_id + " のキットを返送（宛先不明）として記録しました");
    }, text: "返送（宛先不明）" }));
  }
  if (s.kit.state === "shipped" || s.kit.state === "returned") {
    out.push(h("button", { type: "button", "class": "kit-reissue", onclick: function () {
      var reason = window.prompt("再送の理由", s.kit.state === "returned" ? "住所を確認して再送" : "再送");
      if (reason) act("stores/" + s.store_id + "/kit-reissue", { reason: reason }, s.store_id + " のキットを再送待ちにしました");
    }, text: "再送" }));
  }
  return h("div", { "class": "actions" }, out.length ? out.reduce(function (acc, n) { acc.push(n, " "); return acc; }, []) : "—");
}

function askReissue(s) {
  var reason = window.prompt("初期パスワードの再発行をアプリ事業者に依頼します。理由を入力してください。", "通知書の紛失");
  if (reason) act("stores/" + s.store_id + "/credentials-reissue", { reason: reason },
    s.store_id + " の再発行を依頼しました。次の引渡バッチに入ります。");
}

function reissueButton(s) {
  var flash = document.getElementById("flash");
  flash.appendChild(h("span", null, " ", h("button", { type: "button", id: "offer-reissue", onclick: function () { askReissue(s); },
    text: "再発行を依頼" })));
}

function credentialsCell(c) {
  return [h("span", { "class": "badge status cred-" + c.state, text: CREDENTIAL_STATES[c.state] || c.state }),
    c.issued_at ? h("div", { "class": "hint", text: "通知書 " + fmt(c.issued_at) + " " + (c.issued_by || "") }) : null];
}

function kitCell(k) {
  return [h("span", { "class": "badge status kit-" + k.state, text: KIT_STATES[k.state] || k.state }),
    k.shipped_on ? h("div", { "class": "hint", text: "発送 " + k.shipped_on + (k.tracking_number ? "（" + k.tracking_number + "）" : "") }) : null,
    k.returned_on ? h("div", { "class": "hint", text: "返送 " + k.returned_on + "（" + (k.return_reason || "") + "）" }) : null];
}

function registerTable(data) {
  if (!data.items.length) return h("p", { "class": "muted", text: "該当する店舗はありません。" });
  var tbody = h("tbody");
  data.items.forEach(function (s) {
    var ho = s.handoff;
    tbody.appendChild(h("tr", { "data-store": s.store_id },
      h("td", { "class": "mono", text: s.store_id }), h("td", { text: s.store_name }),
      h("td", { text: ho.batch_id ? ho.batch_id + "（" + (REQUEST_TYPES[ho.request_type] || "") + "） " + (ho.handed_off_on || "") : "未引渡し" }),
      h("td", null, credentialsCell(s.credentials)), h("td", null, kitCell(s.kit)), h("td", null, actions(s))));
  });
  return h("div", { "class": "table-wrap" }, h("table", { id: "kit-register" },
    h("thead", null, h("tr", null, ["店舗ID", "店舗名", "引渡し", "ID・パスワード", "キット", "操作"].map(function (t) {
      return h("th", { scope: "col", text: t }); }))), tbody));
}

var registerSlot = null;

function registerPath() {
  var params = new URLSearchParams();
  if (q("batch")) params.set("batch", q("batch"));
  if (q("cursor")) params.set("cursor", q("cursor"));
  var s = params.toString();
  return "stores/kit-register" + (s ? "?" + s : "");
}

function reloadRegister() {
  return api(registerPath()).then(function (data) {
    var fresh = h("section", { "class": "card", id: "register-card", "aria-labelledby": "register-h" },
      h("h2", { id: "register-h", text: q("batch") ? "台帳（" + q("batch") + "）" : "台帳（参加中の店舗）" }),
      q("batch") ? h("p", null, h("a", { href: link("/kit-register", {}), text: "すべての店舗を表示" })) : null,
      registerTable(data), pager(data.next_cursor, { batch: q("batch") }, "/kit-register"));
    if (registerSlot && registerSlot.parentNode) registerSlot.parentNode.replaceChild(fresh, registerSlot);
    registerSlot = fresh;
    return fresh;
  });
}

function reload() {
  return Promise.all([api("stores/kit-batches"), reloadRegister()]).then(function (got) {
    render(h("h1", { text: "店舗キット（ID通知・二次元コード台紙・発送）" }),
      h("p", { "class": "muted", text: "承認した店舗をアプリ事業者に引き渡し、回答（ログインID・初期パスワード・決済用二次元コード）から通知書とキットを作成して発送します。" }),
      batchesCard(got[0]), canWork() ? answerCard() : null, got[1]);
  }).catch(showProblem);
}

PAGES["kit-register"] = function () {
  document.title = "店舗キット | 事務局コンソール";
  return reload();
};
