// The consultation sessions' pages (templates/console_sessions.html): which screen this page is, and
// the session it needs. The screens: sessions (calendar, list, planning), session (one session:
// attendance, survey entry, changes), coverage (the 39 areas), report (the month, with charts).
import { ApiError, api, currentPath, endSession, endedUrl, requireSession } from "./client.js";
import { PAGE, PAGES, READ_SESSIONS, buildHeader, hasRole, me, setMe, showProblem } from "./console-kit.js";
import "./demo-clock.js";

import "./console-sessions-list.js";
import "./console-sessions-detail.js";
import "./console-sessions-coverage.js";
import "./console-sessions-report.js";

function start() {
  var page = PAGES[PAGE] ? PAGE : "sessions";
  if (!requireSession()) return;   // off to sign in, and back here afterwards
  api("me").then(function (who) {
    setMe(who);
    buildHeader();
    if (!hasRole(READ_SESSIONS)) {
      var denied = new ApiError(403, null);
      denied.message = "相談会の画面は、相談会担当・管理者・県職員のみが使えます";
      throw denied;
    }
    // The prefecture reads every screen without its forms (console-sessions-kit.canWrite).
    return PAGES[page]();
  }).catch(function (err) {
    if (!me && err instanceof ApiError && (err.status === 401 || err.status === 403)) {
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
