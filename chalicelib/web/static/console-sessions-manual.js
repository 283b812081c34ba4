// The installation manual (手引き) shown at the sessions: its versions, and uploading a new PDF
// (coordinator, admin). The public page links the latest one (sessions/manual.pdf).
import { BASE, api, h } from "./client.js";
import { setFlash } from "./console-kit.js";
import { act, field, fieldErrors, number } from "./console-forms.js";
import { canWrite } from "./console-sessions-kit.js";

function versions(items) {
  if (!items.length) return h("p", { "class": "muted", id: "manual-none", text: "まだ手引きがありません。公開ページには「準備中」と表示されます。" });
  var latest = items.reduce(function (a, b) { return b.version > a.version ? b : a; });
  return h("div", null,
    h("p", { id: "manual-latest" }, "公開中：第" + latest.version + "版 ",
      h("a", { href: BASE + "sessions/manual.pdf", target: "_blank", rel: "noopener", text: latest.filename || "manual.pdf" }),
      h("span", { "class": "muted", text: "（" + number(Math.ceil((latest.size || 0) / 1024)) + "KB・" +
        String(latest.uploaded_at || "").slice(0, 10).replace(/-/g, "/") + "・" + (latest.uploaded_by || "") + "）" })),
    items.length > 1 ? h("p", { "class": "hint", text: "これまでの版：" + items.length + "版" }) : null);
}

export function manualCard() {
  var body = h("div", { id: "manual-body" }, h("p", { "class": "muted", text: "読み込んでいます…" }));
  var card = h("section", { "class": "card", id: "manual-card", "aria-labelledby": "manual-h" },
    h("h2", { id: "manual-h", text: "手引き（PDF）" }), body);
  function load() {
    return api("sessions/manuals").then(function (items) {
      body.textContent = "";
      body.appendChild(versions(items || []));
      if (canWrite()) body.appendChild(uploadForm(load));
    }, function (err) { body.textContent = "手引きの一覧を読み込めませんでした：" + err.message; });
  }
  load();
  return card;
}

function uploadForm(reload) {
  var inputs = { file: h("input", { type: "file", name: "file", accept: "application/pdf,.pdf" }) };
  var errors = h("div");
  var button = h("button", { type: "submit", id: "manual-upload", text: "新しい版をアップロード" });
  return h("form", { id: "manual-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    var file = inputs.file.files[0];
    act(button, function () {
      var read = file ? file.arrayBuffer() : Promise.resolve(new ArrayBuffer(0));
      return read.then(function (bytes) {
        return api("sessions/manuals?filename=" + encodeURIComponent(file ? file.name : ""),
          { method: "POST", raw: bytes, contentType: "application/pdf" });
      }).then(function (res) {
        return reload().then(function () { setFlash("ok", "手引きの第" + res.version + "版を公開しました。"); });
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } }, errors, field("m-file", "PDF ファイル（10MB まで）", inputs.file, "アップロードすると、公開ページの手引きがこの版に変わります"),
    h("div", { "class": "actions" }, button));
}
