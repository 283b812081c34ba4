// The review step: a read-only summary of what will be sent, which the applicant confirms.
import { DECLARATIONS as DECLARATION_LABELS } from "./labels.js";
import { BY_NAME, DECLARATIONS, bankCache, bankInput, branchCache, branchInput, el, form } from "./apply-fields.js";
import { normalizedKana } from "./apply-lookup.js";

var list = document.getElementById("review-list");

function optionText(name) {
  var select = el(name);
  var option = select.options[select.selectedIndex];
  return option && option.value ? option.textContent : "";
}

function lookedUp(cache, key) {
  var hit = cache[key];
  return hit && hit.ok && hit.body ? hit.body.name : "";
}

function withCode(name, code) {
  return name ? name + "（" + code + "）" : code;
}

// A kana field as typed, and as the server will store it when that differs.
function kana(name, value) {
  var known = normalizedKana[name];
  var stored = known && known.value === value ? known.normalized : "";
  return stored && stored !== value ? value + "（登録される表記: " + stored + "）" : value;
}

function row(label, value) {
  var dt = document.createElement("dt");
  dt.textContent = label;
  var dd = document.createElement("dd");
  dd.textContent = value || "（なし）";
  list.appendChild(dt);
  list.appendChild(dd);
  return dd;
}

// Fills the summary from the body about to be sent (`data`).
export function fillReview(data) {
  list.textContent = "";
  var entity = form.querySelector("input[name=entity_type]:checked");
  var label = function (name) { return BY_NAME[name].label; };
  row(label("store_name"), data.store_name);
  row(label("store_name_kana"), kana("store_name_kana", data.store_name_kana));
  row(label("entity_type"), entity ? entity.parentNode.textContent.trim() : "");
  row(label("representative"), data.representative);
  row(label("business_category"), data.business_category);
  row(label("goods"), data.goods).className = "multiline";
  row(label("postal_code"), data.postal_code);
  row(label("municipality_code"), optionText("municipality_code"));
  row(label("address"), data.address);
  row(label("phone"), data.phone);
  row(label("email"), data.email);
  var bank = bankInput.value.trim();
  row("金融機関", withCode(lookedUp(bankCache, bank), data.bank.bank_code));
  row("支店", withCode(lookedUp(branchCache, bank + "/" + branchInput.value.trim()), data.bank.branch_code));
  row(label("bank.account_type"), optionText("bank.account_type"));
  row(label("bank.account_number"), data.bank.account_number);
  row(label("bank.holder_kana"), kana("bank.holder_kana", data.bank.holder_kana));
  row(label("previous_store_id"), data.previous_store_id || "");
  var pledges = row("誓約事項", "");
  pledges.textContent = "";
  var ul = document.createElement("ul");
  DECLARATIONS.forEach(function (key) {
    var li = document.createElement("li");
    li.textContent = (data.declarations[key] ? "同意する: " : "未同意: ") + DECLARATION_LABELS[key];
    ul.appendChild(li);
  });
  pledges.appendChild(ul);
}
