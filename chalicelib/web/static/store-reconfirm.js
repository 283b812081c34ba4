// The carried-over store's re-confirmation page (/store-reconfirm#t=…, templates/store_reconfirm.html): the
// store confirms this year's pledges (labels from applications/terms.py, sent by the API) and may correct
// its contact data. The API is POST store-reconfirmations (chalicelib/stores/carried_over.py).
var CONTACT = ["representative", "postal_code", "address", "phone", "email"];
var STATES = {
  confirmed: ["確認が済みました。今年度もみやぎポイントの参加店舗としてご利用いただけます。", true],
  closed: ["この店舗は現在、確認の対象ではありません。コールセンターまでお問い合わせください。", false]
};
var token = new URLSearchParams(location.hash.slice(1)).get("t") || "";
// The token never stays in the address bar (nor in any server log: a fragment is not sent).
history.replaceState(null, "", location.pathname);
var form = document.getElementById("reconfirm-form");
var result = document.getElementById("result");
var original = {};

function show(text, ok) {
  result.textContent = text;
  result.className = "message " + (ok ? "ok" : "err");
  result.hidden = false;
  result.focus();
}

function post(body) {
  body.token = token;
  return fetch("store-reconfirmations", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) }).then(function (r) {
    return r.json().then(function (data) { return { ok: r.ok, data: data }; });
  }, function () { return { ok: false, data: {} }; });
}

function text(id, value) { document.getElementById(id).textContent = value || "—"; }

function fill(d) {
  text("store-id", d.store_id);
  text("previous-id", d.previous_store_id);
  text("store-name", d.store_name);
  text("bank", [d.bank_name, d.branch_name, d.account_number_masked].filter(Boolean).join(" "));
  CONTACT.forEach(function (k) {
    original[k] = d.contact[k] || "";
    document.getElementById("c-" + k).value = original[k];
  });
  var box = document.getElementById("declarations");
  box.querySelectorAll(".check, .field-error").forEach(function (n) { n.remove(); });
  d.declarations.forEach(function (item) {
    var label = document.createElement("label");
    label.className = "check";
    var input = document.createElement("input");
    input.type = "checkbox";
    input.name = item.key;
    input.id = "d-" + item.key;
    input.setAttribute("aria-describedby", "err-declarations." + item.key);
    label.appendChild(input);
    label.appendChild(document.createTextNode(item.label));
    box.appendChild(label);
    var err = document.createElement("p");
    err.className = "field-error";
    err.id = "err-declarations." + item.key;
    err.hidden = true;
    box.appendChild(err);
  });
}

function clearErrors() {
  form.querySelectorAll(".field-error").forEach(function (n) { n.hidden = true; n.textContent = ""; });
}

function showErrors(fields) {
  var first = null;
  Object.keys(fields || {}).forEach(function (key) {
    var id = "err-" + key.replace(/^contact\./, "");
    var node = document.getElementById(id);
    if (node) {
      node.textContent = fields[key];
      node.hidden = false;
      first = first || node;
    }
  });
  return first;
}

function render(res) {
  if (!res.ok) {
    show((res.data.error && res.data.error.message) || "確認できませんでした。", false);
    return;
  }
  var d = res.data;
  if (STATES[d.state]) {
    form.hidden = true;
    show(STATES[d.state][0], STATES[d.state][1]);
    return;
  }
  fill(d);
  form.hidden = false;
}

form.addEventListener("submit", function (event) {
  event.preventDefault();
  clearErrors();
  var declarations = {};
  form.querySelectorAll("#declarations input[type=checkbox]").forEach(function (input) {
    declarations[input.name] = input.checked;
  });
  var contact = {};
  CONTACT.forEach(function (k) {
    var value = document.getElementById("c-" + k).value.trim();
    if (value !== original[k]) contact[k] = value;
  });
  var button = document.getElementById("confirm");
  button.disabled = true;
  post({ answer: "confirm", declarations: declarations, contact: contact }).then(function (res) {
    button.disabled = false;
    if (!res.ok && res.data.error && res.data.error.fields) {
      var first = showErrors(res.data.error.fields);
      show(res.data.error.message || "入力内容に誤りがあります。", false);
      if (first) first.previousElementSibling && first.previousElementSibling.focus && first.previousElementSibling.focus();
      return;
    }
    render(res);
  });
});

if (!token) {
  show("リンクが正しくありません。メールに記載されたリンクをそのまま開いてください。", false);
} else {
  post({}).then(render);
}
