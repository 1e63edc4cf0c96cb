// The live feed: a WebSocket announces new notifications (ids only); the page fetches everything
// after the newest it shows, so a push missed while away (lid closed, network gone, server
// restarted) is caught up on reconnect and nothing is shown twice. A colleague marking an item
// done or assigning it is announced the same way ("changed", ids only) and the items are fetched
// again. "Mark read" and "Done" act in place (no reload); without JavaScript they are plain forms.
// Every value from the server is written as text, never as markup: company and filing texts come
// from outside.
(function () {
  "use strict";
  const list = document.getElementById("feed");
  if (!list || list.dataset.live !== "1") return;
  const api = list.dataset.api;
  const status = document.getElementById("live-status");
  const badge = document.getElementById("unread-count");
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  const csrfInput = document.querySelector("#read-all input[name=csrfmiddlewaretoken]");
  let newest = Number(list.dataset.newest) || 0;

  function setUnread(count) {
    badge.textContent = String(count);
    document.title = (count ? "(" + count + ") " : "") + baseTitle;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const SEVERITY = { urgent: "Urgent", normal: "Normal", info: "Routine" };

  function render(item) {
    const li = el("li", "item fresh" + (item.read ? "" : " unread") + (item.severity === "urgent" ? " urgent" : ""));
    li.id = "n" + item.id;
    li.dataset.id = String(item.id);
    const meta = el("div", "meta");
    meta.append(el("span", "tag " + item.severity, SEVERITY[item.severity] || item.severity));
    meta.append(el("span", "", item.category_label));
    const company = el("span");
    company.append(el("strong", "", item.company_name || item.company_number),
                   document.createTextNode(" (" + item.company_number + ")"));
    meta.append(company);
    if (item.client_references && item.client_references.length) {
      meta.append(el("span", "", "Your ref: " + item.client_references.join(", ")));
    }
    if (item.published_display) {
      const late = item.late_by ? "; reached us " + item.late_by + " later" : "";
      meta.append(el("span", "", "Published " + item.published_display + late));
    }
    const heading = el("h2");
    const open = el("a", "", item.title);
    open.href = item.url;
    heading.append(open);
    li.append(meta, heading);
    if (item.body) li.append(el("p", "body", item.body));
    const links = el("ul", "links");
    for (const link of item.links || []) {
      const a = el("a", "", link.label);
      a.href = link.url;  // only https links are sent
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      const entry = el("li");
      entry.append(a);
      links.append(entry);
    }
    li.append(links);
    const work = el("div", "work");
    li.append(work);
    showWork(li, item);
    return li;
  }

  // The practice's state of an item and its buttons, from the API's item (render and "changed").
  function showWork(li, item) {
    const work = li.querySelector(".work") || li.appendChild(el("div", "work"));
    work.replaceChildren();
    li.classList.toggle("unread", !item.read);
    li.classList.toggle("done", !!item.done);
    if (item.done) work.append(el("span", "done-by", "Done by " + (item.done_by || "a colleague")));
    if (item.assignee) work.append(el("span", "assignee", "Assigned to " + item.assignee));
    if (!item.read) work.append(action("Mark read", list.dataset.readUrl.replace(/0\/$/, item.id + "/"), li));
    if (!item.done) work.append(action("Done", item.url + "done/", li));
  }

  function action(label, url, li) {
    const button = el("button", "quiet", label);
    button.type = "button";
    button.addEventListener("click", function () { act(url, li); });
    return button;
  }

  async function act(url, li) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfInput ? csrfInput.value : "", Accept: "application/json" },
    });
    if (!response.ok) return;
    const data = await response.json();
    setUnread(data.unread);
    if (data.item && data.item.title !== undefined) {
      showWork(li, data.item);
    } else {  // marked read: the answer is the count only
      li.classList.remove("unread");
      for (const control of li.querySelectorAll(".work form, .work button")) {
        if (control.textContent.trim() === "Mark read") control.remove();
      }
    }
  }

  // The server-rendered items' forms, made to act in place.
  for (const form of list.querySelectorAll(".item .work form")) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      act(form.action, form.closest(".item"));
    });
  }

  async function refresh(ids) {
    const shown = ids.filter(function (id) { return document.getElementById("n" + id); });
    if (!shown.length) return;
    const url = api.split("?")[0] + "?ids=" + shown.join(",");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    for (const item of data.items) {
      const li = document.getElementById("n" + item.id);
      if (li) showWork(li, item);
    }
    setUnread(data.unread);
  }

  function notifyDesktop(item) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const who = item.company_name || item.company_number;
    const shown = new Notification(who + ": " + item.title, { body: item.body || "", tag: "n" + item.id });
    shown.onclick = function () { window.focus(); location.href = item.url; };  // the item's own page
  }

  let fetching = false;
  let again = false;
  async function catchUp(announce) {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      for (;;) {
        const url = api + (api.indexOf("?") >= 0 ? "&" : "?") + "after=" + newest;
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) break;
        const data = await response.json();
        for (const item of data.items) {
          if (item.id > newest) newest = item.id;
          if (document.getElementById("n" + item.id)) continue;  // shown already: never twice
          const empty = document.getElementById("empty");
          if (empty) empty.remove();
          list.prepend(render(item));
          if (announce) notifyDesktop(item);
        }
        setUnread(data.unread);
        if (data.items.length < data.limit) break;
      }
    } catch (error) {
      // the socket's reconnect brings another catch-up
    } finally {
      fetching = false;
      if (again) { again = false; catchUp(announce); }
    }
  }

  const desktop = document.getElementById("desktop");
  if (desktop && "Notification" in window && Notification.permission === "default") {
    desktop.hidden = false;
    desktop.addEventListener("click", function () {
      Notification.requestPermission().then(function () { desktop.hidden = true; });
    });
  }

  let attempt = 0;
  let pinger = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + list.dataset.ws);
    socket.addEventListener("open", function () {
      attempt = 0;
      list.dataset.connected = "1";
      status.textContent = "Live: new items appear at the top as Companies House publishes them.";
      catchUp(false);  // whatever arrived while the page was loading, or away
      pinger = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    });
    socket.addEventListener("message", function (event) {
      const message = JSON.parse(event.data);
      if (message.type === "new") catchUp(true);
      else if (message.type === "changed") refresh(message.ids || []);
    });
    socket.addEventListener("close", function () {
      list.dataset.connected = "0";
      clearInterval(pinger);
      const ceiling = Math.min(30000, 500 * Math.pow(2, attempt));
      attempt += 1;
      status.textContent = "Connection lost: reconnecting...";
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    });
  }
  connect();
})();
