// Small helpers for building the screens with DOM calls (never innerHTML with data), for
// translations (Django's JavaScript catalogue, compiled to a static file) and for dates.

export function gettext(text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  return typeof window.ngettext === "function" ? window.ngettext(singular, plural, count) : count === 1 ? singular : plural;
}

export function pgettext(context, text) {
  return typeof window.pgettext === "function" ? window.pgettext(context, text) : text;
}

/** "%(name)s" placeholders, as in Django's interpolate(..., true). */
export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}

const AUTOFILL_TAGS = new Set(["form", "input", "textarea", "select"]);

/**
 * h("button", {class: "big", onclick: fn, "aria-label": "…"}, "text", child, [more])
 * Strings become text nodes; null, false and undefined are skipped; arrays are flattened.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  // What a patient types is health data: it must not land in the browser's autofill database
  // (the profile's "Web Data" file), which no sign-out clears (RELIABILITY.md T18, T19).
  if (AUTOFILL_TAGS.has(tag) && !(attributes && "autocomplete" in attributes)) element.setAttribute("autocomplete", "off");
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else if (name === "checked" || name === "selected") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

let uniqueCounter = 0;
export function uid(prefix = "f") {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** A labelled form field: label + control (+ hint), with the ids tied together. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode);
}

/** A yes/no question as a radio group (fieldset + legend). */
export function yesNo(name, legend, value) {
  const yes = uid("yes");
  const no = uid("no");
  return h(
    "fieldset",
    { class: "yesno" },
    h("legend", {}, legend),
    h(
      "div",
      { class: "yesno-options" },
      h("input", { type: "radio", id: yes, name, value: "yes", checked: value === true, required: true }),
      h("label", { for: yes }, gettext("Yes")),
      h("input", { type: "radio", id: no, name, value: "no", checked: value === false }),
      h("label", { for: no }, gettext("No")),
    ),
  );
}

export function language() {
  return document.documentElement.lang || "en";
}

/** Dates and numbers in the app's language, in the phone's own variant of it when it has one: a
 * phone set to British English reads "27 Dec 2026" in English, not the American "Dec 27, 2026". */
export function locale() {
  const base = language();
  const own = (navigator.languages || [navigator.language]).find((tag) => String(tag).split("-")[0].toLowerCase() === base);
  return own || base;
}

export function formatDateTime(iso, timeZone) {
  if (!iso) return "";
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: timeZone || undefined }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleString();
  }
}

/** The day of a moment, in the app's language and the given time zone. */
export function formatDate(iso, timeZone) {
  if (!iso) return "";
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: timeZone || undefined }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleDateString();
  }
}

/** A calendar date ("2030-01-31", as an expiry date is stored) in the app's language. */
export function formatDay(isoDate) {
  if (!isoDate) return "";
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
  } catch {
    return isoDate;
  }
}

export function formatNumber(value, digits = 1) {
  const number = Number(value);
  if (!Number.isFinite(number)) return "";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(number);
}

export function formatDuration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(rest)}` : `${pad(minutes)}:${pad(rest)}`;
}

export function relativeTime(iso) {
  if (!iso) return gettext("never");
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60000);
  if (minutes < 1) return gettext("just now");
  if (typeof Intl.RelativeTimeFormat === "function") {
    const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
    if (minutes < 60) return rtf.format(-minutes, "minute");
    if (minutes < 48 * 60) return rtf.format(-Math.round(minutes / 60), "hour");
    return rtf.format(-Math.round(minutes / 1440), "day");
  }
  return formatDateTime(iso);
}

/** A datetime-local input's value for now (local clock). */
export function localInputValue(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const CONTENT_TAGS = new Set(["P", "BR", "STRONG", "UL", "LI"]);

/**
 * Server-rendered content HTML (only <p>, <br>, <strong>, <ul>, <li>) rebuilt element by element:
 * anything else becomes its text, and no attribute is ever copied.
 */
export function safeContent(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
  const copy = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    const children = [...node.childNodes].map(copy).filter(Boolean);
    if (!CONTENT_TAGS.has(node.tagName)) return document.createTextNode(node.textContent);
    const element = document.createElement(node.tagName.toLowerCase());
    element.append(...children);
    return element;
  };
  const container = h("div", { class: "content-body" });
  container.append(...[...parsed.body.childNodes].map(copy).filter(Boolean));
  return container;
}

/** Sync badge next to an entry. */
export function badge(kind) {
  const labels = {
    pending: gettext("Not sent yet"),
    synced: gettext("Sent"),
    rejected: gettext("Not saved"),
    conflict: gettext("Needs your choice"),
  };
  return h("span", { class: `badge badge-${kind}` }, labels[kind] || kind);
}

/** Shows a modal dialog and resolves to the value of the button pressed (Escape: null). */
export function ask({ title, text, buttons }) {
  const dialog = document.getElementById("dialog");
  dialog.replaceChildren(
    h("h2", { id: "dialog-title" }, title),
    text ? h("p", {}, text) : null,
    h(
      "div",
      { class: "dialog-buttons" },
      buttons.map((button) =>
        h("button", { type: "button", class: button.class || "", "data-value": button.value, onclick: () => dialog.close(button.value) }, button.label),
      ),
    ),
  );
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue || null), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/**
 * A call button. The number is isolated and set left to right: in an Arabic sentence the bidi
 * algorithm would otherwise draw "+44 20 7946 0000" as "0000 7946 20 44+".
 */
export function telLink(number, label, extraClass = "") {
  const clean = String(number || "").replace(/[^0-9+]/g, "");
  return h("a", { class: `call-button ${extraClass}`.trim(), href: `tel:${clean}` }, label, h("bdi", { class: "call-number", dir: "ltr" }, number));
}
