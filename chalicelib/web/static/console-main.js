// The console's entry: which screen this page is, and the session it needs.
import { ApiError, CONSOLE, api, currentPath, endSession, endedUrl, requireSession, session } from "./client.js";
import { PAGE, PAGES, READ_APPLICATIONS, buildHeader, hasRole, me, setMe, showProblem } from "./console-kit.js";
import "./demo-clock.js";

import "./console-login.js";
import "./console-queue.js";
import "./console-application.js";
import "./console-stores.js";
import "./console-audit.js";
import "./console-usage.js";
import "./console-settlements.js";
import "./console-kit-register.js";
import "./console-overview.js";
import "./console-carried-over.js";
import "./console-privacy.js";
import "./console-staff.js";

// ---- start ----
var LANDED_KEY = "miyapo.console.landed";   // sessionStorage: the sign-in (sid) whose landing was the overview
function start() {
  var page = PAGES[PAGE] ? PAGE : "queue";
  if (page === "login") { PAGES.login(); return; }
  if (!requireSession()) return;   // off to sign in, and back here afterwards
  api("me").then(function (who) {
    setMe(who);
    buildHeader();
    // The prefecture lands on the overview once per sign-in (then 審査キュー opens the queue as asked).
    var sid = (session() || {}).sid || "-";
    if (page === "queue" && hasRole(["prefecture"]) && !location.search && sessionStorage.getItem(LANDED_KEY) !== sid) {
      sessionStorage.setItem(LANDED_KEY, sid);
      location.replace(CONSOLE + "/overview");
      return null;
    }
    if (page === "queue" && !hasRole(READ_APPLICATIONS)) {
      // Each role lands where its work is: accountants on settlement, agents and coordinators
      // on the inquiry log, everyone else on the store master.
      location.replace(CONSOLE + (hasRole(["accountant"]) ? "/settlements"
        : hasRole(["agent", "coordinator"]) ? "/inquiries" : "/stores"));
      return null;
    }
    return PAGES[page]();
  }).catch(function (err) {
    if (!me && err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      // /me is open to every role: the token itself was refused (revoked key, another pool).
      endSession("invalid");
      location.replace(endedUrl("invalid", currentPath()));
      return;
    }
    buildHeader();
    showProblem(err instanceof ApiError ? err : new ApiError(0, null));
    if (!(err instanceof ApiError) && window.console) window.console.error(err);
  });
}
start();
