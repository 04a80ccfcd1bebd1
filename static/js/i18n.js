// Translations for page scripts, from Django's JavaScript catalogue (base.html loads it as a
// script file, so no inline script is needed). Falls back to the English string.
export function gettext(text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
}
