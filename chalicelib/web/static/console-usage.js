// Usage imports (利用実績の取り込み).
import { ApiError, CONSOLE, api, append, h } from "./client.js";
import { PAGES, STORE_STATUSES, fieldList, fmt, hasRole, link, q, render, setFlash, statusBadge } from "./console-kit.js";
import { IMPORT_STATUSES, act, appendAll, field, headRow, monthLabel, numCell, number } from "./console-forms.js";

// ---- 利用実績の取り込み ----
// The file goes from the browser straight to S3 (a presigned POST the API hands out: no API Gateway
// size limit), with the upload's own progress; S3's event runs the import and the page follows it.
export var FOLLOW_MS = 10 * 60 * 1000;
PAGES.usage = function () {
  document.title = "利用実績の取り込み | 事務局コンソール";
  var selected = q("import");
  return Promise.all([
    api("usage-imports"),
    selected ? api("usage-imports/" + encodeURIComponent(selected)) : Promise.resolve(null)
  ]).then(function (res) {
    render(h("h1", { text: "利用実績の取り込み" }),
      hasRole(["accountant"]) ? uploadForm() : h("p", { "class": "hint", text: "取り込みは経理担当のみ行えます。" }),
      res[1] ? importReport(res[1]) : null,
      importList(res[0].items || [], selected));
  });
};

export function showImport(importId, kind, message) {
  window.history.replaceState(null, "", link("/usage", { "import": importId }));
  return PAGES.usage().then(function () { setFlash(kind, message); });
}

export function noNewTransactions(r) { return r.status === "committed" && !r.accepted && r.duplicates > 0; }
export function sameFileText(r) { return "このファイルは " + r.same_file_as + " として取り込み済みです（新しい取引はありません）"; }

export function importFlash(r) {
  if (r.status === "committed") {
    // A file already imported (the same bytes, or only transactions already counted) is not a success.
    if (r.same_file_as && !r.accepted) return ["warn", sameFileText(r)];
    if (noNewTransactions(r)) {
      return ["warn", "新しい取引はありませんでした（" + r.import_id + "）。" + number(r.duplicates) + " 件はすべて取り込み済みの取引（重複）です" +
        (r.rejected_count ? "。取り込めない行が " + number(r.rejected_count) + " 件あります。" : "。")];
    }
    if (!r.accepted) return ["warn", "取り込めた取引はありませんでした（" + r.import_id + "）。取り込めない行 " + number(r.rejected_count) + " 件の理由を確認してください。"];
    return ["ok", "取り込みました（" + r.import_id + "）。" + number(r.accepted) + " 件を取り込み、重複 " + number(r.duplicates) +
      " 件・取り込めない行 " + number(r.rejected_count) + " 件でした。"];
  }
  if (r.status === "rejected") return ["error", "このファイルは取り込めませんでした（" + r.import_id + "）。理由は「取り込み結果」を確認してください。"];
  return ["info", "アップロードしました（" + r.import_id + "）。取り込み処理が終わるまで少しかかります。「最新の状態を表示」で確認してください。"];
}

export function megabytes(bytes) {
  var one = { minimumFractionDigits: 1, maximumFractionDigits: 1 };
  if (bytes < 1024) return number(bytes) + " バイト";
  if (bytes < 1048576) return (bytes / 1024).toLocaleString("ja-JP", one) + " KB";
  return (bytes / 1048576).toLocaleString("ja-JP", one) + " MB";
}
export function pause(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
export function uploadProblem(message) {
  var err = new ApiError(0, null);
  err.message = message;
  return err;
}
// S3 answers a refused post with an XML error: its code, said in Japanese where we know it.
export function s3Problem(xhr) {
  var code = "";
  try {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "application/xml");
    var node = doc.getElementsByTagName("Code")[0];
    code = node ? node.textContent : "";
  } catch (e) { code = ""; }
  if (code === "EntityTooLarge") return uploadProblem("ファイルが大きすぎるため、アップロードできませんでした");
  if (code === "AccessDenied" || code === "ExpiredToken" || code === "RequestTimeTooSkewed") {
    return uploadProblem("アップロードの許可が切れたか、受け付けられませんでした。もう一度「取り込む」を押してください（" + code + "）");
  }
  return uploadProblem("アップロードできませんでした（" + (code || xhr.status) + "）。もう一度お試しください");
}

// POST the file with the presigned form fields; `progress(loaded, total)` as it goes, `bar.cancel()` aborts.
export function postToS3(grant, file, bar) {
  return new Promise(function (resolve, reject) {
    var form = new FormData();
    Object.keys(grant.fields || {}).forEach(function (k) { form.append(k, grant.fields[k]); });
    form.append(grant.file_field || "file", file); // last: S3 ignores form fields after the file
    var xhr = new XMLHttpRequest();
    bar.cancel = function () { xhr.abort(); };
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      bar.update(Math.min(file.size, Math.round(file.size * e.loaded / e.total)), file.size);
      if (e.loaded >= e.total && bar.sent) bar.sent();
    });
    xhr.addEventListener("load", function () {
      bar.cancel = null;
      if (xhr.status >= 200 && xhr.status < 300) resolve(); else reject(s3Problem(xhr));
    });
    xhr.addEventListener("error", function () {
      bar.cancel = null;
      reject(uploadProblem("アップロードできませんでした（通信エラー）。ネットワークを確認して、もう一度お試しください"));
    });
    xhr.addEventListener("abort", function () {
      bar.cancel = null;
      var err = uploadProblem("アップロードを取り消しました");
      err.cancelled = true;
      reject(err);
    });
    xhr.open(grant.method || "POST", grant.url);
    xhr.send(form);
  });
}

// Follow the import S3's event started until it is done (or it takes longer than FOLLOW_MS).
export function followImport(importId, say) {
  var started = Date.now(), failures = 0;
  function poll() {
    return api("usage-imports/" + encodeURIComponent(importId)).then(function (r) {
      failures = 0;
      if (r.status === "committed" || r.status === "rejected" || Date.now() - started > FOLLOW_MS) return r;
      say(r.processing_started_at || r.status === "staged" ? "取り込み処理中です…（大きなファイルは数分かかることがあります）"
        : "アップロードが完了しました。取り込み処理の開始を待っています…");
      return pause(Date.now() - started < 30000 ? 1000 : 3000).then(poll);
    }, function (err) {
      // A passing network or server hiccup does not end the wait; anything else is shown.
      if (err.status !== 0 && err.status < 500 || ++failures > 5) throw err;
      return pause(3000).then(poll);
    });
  }
  return poll();
}

export function uploadForm() {
  var input = h("input", { type: "file", name: "file", accept: ".csv,text/csv" });
  var button = h("button", { type: "submit", "class": "primary", id: "upload", text: "取り込む" });
  var phase = h("p", { id: "upload-phase", role: "status", "aria-live": "polite" });
  var meter = h("progress", { id: "upload-bar", max: "100", value: "0", "aria-labelledby": "upload-phase" });
  var amount = h("p", { id: "upload-progress-text", "class": "hint" });
  var bar = { cancel: null };
  var cancel = h("button", { type: "button", id: "upload-cancel", text: "アップロードを取り消す", onclick: function () {
    if (bar.cancel) bar.cancel();
  } });
  var box = h("div", { "class": "upload-progress", id: "upload-progress", hidden: true }, phase, meter, amount,
    h("div", { "class": "actions" }, cancel));
  bar.update = function (sent, total) {
    var percent = total ? Math.floor(sent * 100 / total) : 100;
    meter.value = percent;
    amount.textContent = percent + "%（" + megabytes(sent) + " / " + megabytes(total) + "）";
  };
  function leaving(e) { e.preventDefault(); e.returnValue = ""; }
  function busy(on) {
    input.disabled = on;
    box.hidden = !on;
    if (on) window.addEventListener("beforeunload", leaving); else window.removeEventListener("beforeunload", leaving);
  }
  var form = h("form", { "class": "card", id: "upload-form", "aria-labelledby": "upload-h", onsubmit: function (e) {
    e.preventDefault();
    var errLine = document.getElementById("usage-file-err");
    errLine.textContent = "";
    input.removeAttribute("aria-invalid");
    var file = input.files && input.files[0];
    if (!file) {
      errLine.textContent = "取り込むCSVファイルを選んでください";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    button.textContent = "取り込み中…";
    act(button, function () {
      busy(true);
      cancel.style.display = "";
      phase.textContent = "アップロードの準備をしています…";
      bar.update(0, file.size);
      // The file's bytes go up untouched (CP932 or UTF-8): the import decodes them, the browser never does.
      return api("usage-imports/uploads", { method: "POST", body: { filename: file.name, size: file.size } }).then(function (grant) {
        phase.textContent = "アップロード中です（" + grant.import_id + "）…";
        bar.sent = function () { phase.textContent = "送信が終わりました。保存されるのを待っています（" + grant.import_id + "）…"; };
        return postToS3(grant, file, bar).then(function () {
          bar.update(file.size, file.size);
          cancel.style.display = "none";
          window.removeEventListener("beforeunload", leaving);
          phase.textContent = "アップロードが完了しました。取り込み処理の開始を待っています…";
          return followImport(grant.import_id, function (text) { phase.textContent = text; });
        });
      }).then(function (r) {
        busy(false);
        var f = importFlash(r);
        return showImport(r.import_id, f[0], f[1]);
      });
    }, function (err) {
      busy(false);
      button.textContent = "取り込む";
      if (err.cancelled) {
        setFlash("info", "アップロードを取り消しました。このファイルは取り込まれていません。");
        return;
      }
      var detail = err.fields && (err.fields.file || err.fields.size || err.fields.filename);
      errLine.textContent = err.message + (detail ? "：" + detail : "");
      input.setAttribute("aria-invalid", "true");
      input.focus();
    });
  } },
    h("h2", { id: "upload-h", text: "ファイルを取り込む" }),
    field("usage-file", "利用実績のCSVファイル", input,
      "決済事業者の管理画面から出力したCSV（取引ID・取引日時・店舗ID・店舗名・利用ポイント・取引区分）。Shift_JIS（Excelで保存したもの）でもUTF-8でも、そのまま選んでください。" +
      "200MB まで。同じ取引を含むファイルを再度取り込んでも、二重には数えません。"),
    h("div", { "class": "actions" }, button), box);
  return form;
}

export function reprocessButton(r, id) {
  if (!hasRole(["accountant", "admin"]) || r.status === "committed" || r.status === "rejected" || r.upload_expired) return null;
  // Waiting for its file: re-running only helps once the file is in S3 (its event lost), from its report.
  if (r.status === "awaiting_upload" && !id) return null;
  var button = h("button", { type: "button", id: id, "data-reprocess": r.import_id, text: "再実行" });
  button.addEventListener("click", function () {
    act(button, function () {
      return api("usage-imports/" + encodeURIComponent(r.import_id) + "/process", { method: "POST" }).then(function (res) {
        // In the cloud a re-run goes back through S3's event (202): follow it as after an upload.
        if (res.status === "committed" || res.status === "rejected") return res;
        button.textContent = "再実行中…";
        return followImport(res.import_id, function () {});
      }).then(function (res) {
        var f = importFlash(res);
        return showImport(res.import_id, f[0], f[1]);
      });
    }, function (err) { setFlash("error", "再実行できませんでした: " + err.message); });
  });
  return button;
}

export function importStatusLabel(r) {
  if (r.status === "awaiting_upload" && r.upload_expired) return "アップロード未完了";
  return IMPORT_STATUSES[r.status] || r.status;
}
export function importLink(id) { return h("a", { href: link("/usage", { "import": id }), "class": "mono", text: id }); }
export function shownOf(shown, total) {
  return total > shown ? "最初の " + number(shown) + " 件を表示しています（全 " + number(total) + " 件）。" : "";
}

export function importReport(r) {
  var label = importStatusLabel(r);
  var section = h("section", { "class": "card", id: "import-report", "aria-labelledby": "report-h" },
    h("h2", { id: "report-h" }, "取り込み結果 ", h("span", { "class": "mono", text: r.import_id }), " ", statusBadge(r.status, label)));
  append(section, fieldList([
    ["アップロード日時", fmt(r.created_at)], ["担当者", r.uploaded_by],
    r.filename ? ["ファイル名", r.filename] : null,
    r.size ? ["ファイルの大きさ", megabytes(r.size)] : null,
    ["対象の利用月", (r.months || []).map(monthLabel).join("、")]
  ]));
  if (r.error) {
    append(section, h("div", { "class": "problem", style: "margin-top:12px" }, h("h2", { text: "取り込めないファイルです" }),
      h("p", { id: "report-error", style: "margin:0", text: r.error })));
  }
  if (r.status === "awaiting_upload") {
    append(section, h("div", { "class": "notice", id: "awaiting-upload", style: "margin-top:12px" },
      h("p", { style: "margin:0", text: r.upload_expired
        ? "ファイルのアップロードが完了しませんでした（取り消されたか、期限が切れました）。取り込むには、もう一度ファイルを選んで「取り込む」を押してください。"
        : "ファイルのアップロードを待っています。アップロードが終わると自動で取り込みます。" })));
  }
  if (r.status === "uploaded" || r.status === "staged") {
    append(section, h("div", { "class": "notice", style: "margin-top:12px" },
      h("p", { style: "margin:0", text: r.status === "uploaded"
        ? "取り込み処理を待っています。しばらくしてから「最新の状態を表示」を押してください。時間がたっても変わらない場合は「再実行」を押してください。"
        : "取り込みが途中で止まっています。「再実行」を押すと続きから完了します（二重には数えません）。" })));
  }
  if (r.status === "committed" && r.same_file_as && !r.accepted) {
    append(section, h("div", { "class": "notice", id: "same-file", style: "margin-top:12px" },
      h("p", { style: "margin:0" }, "このファイルは ", importLink(r.same_file_as), " として取り込み済みです（新しい取引はありません）")));
  } else if (noNewTransactions(r)) {
    append(section, h("div", { "class": "notice", id: "no-new", style: "margin-top:12px" },
      h("p", { style: "margin:0", text: "新しい取引はありません。このファイルの取引は、すべて取り込み済みでした（重複として数えていません）。" })));
  }
  var stat = function (id, name, value, alert) {
    return h("div", { "class": alert ? "alert" : null }, h("dt", { text: name }), h("dd", { id: id, text: number(value) }));
  };
  if (r.status === "rejected" || r.status === "awaiting_upload") return appendActions(section, r);
  appendAll(section, h("h3", { text: "件数" }),
    h("dl", { "class": "stats", id: "report-stats" },
      stat("rep-rows", "読み込んだ行", r.rows), stat("rep-accepted", "取り込んだ行", r.accepted),
      stat("rep-duplicates", "重複（取り込み済み）", r.duplicates),
      stat("rep-rejected", "取り込めない行", r.rejected_count, r.rejected_count > 0)),
    h("p", { "class": "hint", text: "読み込んだ行 ＝ 取り込んだ行 ＋ 重複 ＋ 取り込めない行。重複は、このファイル内や以前の取り込みと同じ取引IDの行で、数えません。" }));

  var months = Object.keys(r.points_by_month || {}).sort();
  var late = r.late_months || [];
  if (months.length) {
    var tbody = h("tbody");
    months.forEach(function (m) {
      tbody.appendChild(h("tr", { "data-month": m }, h("td", { text: monthLabel(m) }), numCell(r.points_by_month[m]),
        h("td", null, late.indexOf(m) >= 0 ? h("span", { "class": "badge warn", text: "精算承認後の取り込み" }) : "")));
    });
    appendAll(section, h("h3", { text: "利用月ごとのポイント（利用 − 取消）" }),
      h("div", { "class": "table-wrap" }, h("table", { id: "points-by-month" }, headRow(["利用月", ["ポイント（円）", "num"], "備考"]), tbody)));
  }
  if (late.length) {
    append(section, h("div", { "class": "notice", id: "late-months", style: "margin-top:12px" },
      h("p", { style: "margin:0", text: late.map(monthLabel).join("、") + " の精算は承認済みです。この月の利用分は調整として、次回の精算で支払います。" })));
  }
  if ((r.unknown_stores || []).length) {
    var ub = h("tbody");
    r.unknown_stores.forEach(function (u) {
      ub.appendChild(h("tr", null, h("td", { "class": "mono", text: u.store_id }), h("td", { text: u.name }), numCell(u.rows), numCell(u.points)));
    });
    appendAll(section, h("h3", { text: "登録のない店舗ID" }),
      h("p", { "class": "hint", text: "参加店舗として登録されていない店舗IDです。精算ではこの分を保留し、次回以降に繰り越します。" +
        shownOf(r.unknown_stores.length, r.unknown_store_count) }),
      h("div", { "class": "table-wrap" }, h("table", { id: "unknown-stores" }, headRow(["店舗ID", "店舗名（ファイル上）", ["行数", "num"], ["ポイント", "num"]]), ub)));
  }
  if ((r.inactive_stores || []).length) {
    var ib = h("tbody");
    var statusLabel = Object.fromEntries(STORE_STATUSES);
    r.inactive_stores.forEach(function (u) {
      ib.appendChild(h("tr", null, h("td", { "class": "mono" }, h("a", { href: CONSOLE + "/stores/" + u.store_id, text: u.store_id })),
        h("td", { text: u.name }), h("td", { text: statusLabel[u.status] || u.status }), numCell(u.rows), numCell(u.points)));
    });
    appendAll(section, h("h3", { text: "利用中でない店舗の利用" }),
      h("p", { "class": "hint", text: "利用停止中・退会済みの店舗で利用がありました。利用停止中の店舗の分は精算で保留されます。" +
        shownOf(r.inactive_stores.length, r.inactive_store_count) }),
      h("div", { "class": "table-wrap" }, h("table", { id: "inactive-stores" }, headRow(["店舗ID", "店舗名（ファイル上）", "状態", ["行数", "num"], ["ポイント", "num"]]), ib)));
  }
  if ((r.rejected || []).length) {
    var rb = h("tbody");
    r.rejected.forEach(function (x) {
      rb.appendChild(h("tr", null, numCell(x.line), h("td", { text: x.reason })));
    });
    appendAll(section, h("h3", { text: "取り込めない行" }),
      h("p", { "class": "hint", text: "行番号はファイルの行です（1行目が見出し）。修正した行だけのファイルを取り込み直せます。" +
        shownOf(r.rejected.length, r.rejected_count) }),
      h("div", { "class": "table-wrap" }, h("table", { id: "rejected-lines" }, headRow([["行", "num"], "理由"]), rb)));
  }
  return appendActions(section, r);
}

export function appendActions(section, r) {
  var waiting = r.status === "uploaded" || r.status === "staged" || (r.status === "awaiting_upload" && !r.upload_expired);
  var actions = h("div", { "class": "actions" }, reprocessButton(r, "reprocess"),
    waiting ? h("button", { type: "button", id: "refresh-import", onclick: function () { PAGES.usage(); }, text: "最新の状態を表示" }) : null);
  append(section, actions.childNodes.length ? actions : null);
  return section;
}

export function importList(items, selected) {
  var section = h("section", { "class": "card", "aria-labelledby": "imports-h" }, h("h2", { id: "imports-h", text: "これまでの取り込み" }));
  if (!items.length) { append(section, h("p", { "class": "muted", text: "まだ取り込みはありません。" })); return section; }
  var tbody = h("tbody");
  items.forEach(function (r) {
    tbody.appendChild(h("tr", { "data-import": r.import_id, "class": r.import_id === selected ? "selected" : null },
      h("td", null, h("a", { href: link("/usage", { "import": r.import_id }), "class": "mono", text: r.import_id,
                             "aria-current": r.import_id === selected ? "true" : null })),
      h("td", { text: fmt(r.created_at) }), h("td", { text: r.uploaded_by || "—" }),
      h("td", null, statusBadge(r.status, importStatusLabel(r)),
        r.same_file_as && !r.accepted ? h("span", { "class": "badge warn", text: r.same_file_as + " と同じファイル" })
          : noNewTransactions(r) ? h("span", { "class": "badge warn", text: "新しい取引なし" }) : null),
      numCell(r.rows), numCell(r.accepted), numCell(r.duplicates), numCell(r.rejected_count),
      h("td", { text: (r.months || []).map(monthLabel).join("、") || "—" }),
      h("td", null, reprocessButton(r, null))));
  });
  appendAll(section, h("p", { "class": "muted", style: "margin-top:0", text: "新しい順に最大50件" }),
    h("div", { "class": "table-wrap" }, h("table", { id: "imports" },
      headRow(["取り込み番号", "日時", "担当者", "状態", ["行数", "num"], ["取り込み", "num"], ["重複", "num"], ["不正", "num"], "利用月", ""]),
      tbody)));
  return section;
}
