"""Measurements taken in the page: tap targets, reflow, scripts, focus, and the bytes of a load."""
from __future__ import annotations

from typing import Any

#: Every element a finger or a keyboard acts on.
TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, summary, label[for]"
MIN_TARGET = 44  # CSS pixels, WCAG 2.1 SC 2.5.5 (AAA) and the portal's own rule

# Returns the targets smaller than 44 × 44 that no exception covers:
# - an inline link inside running text (SC 2.5.5 "Inline"), i.e. display:inline with other text
#   in the same block, outside the header, navigation, footer and button rows;
# - a label whose control is itself a large enough text field (SC 2.5.5 "Equivalent");
# - a checkbox or radio button together with its label counts as one target (tapping the label
#   ticks the box), so the pair is measured as the box around both.
SMALL_TARGETS_JS = """([selector, minimum]) => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    // Off screen or hidden from everyone (a honeypot for robots) is not a target for people.
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
      && !el.closest('[hidden], .visually-hidden, [aria-hidden="true"]')
      && box.bottom > 0 && box.right > 0;
  };
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display === 'inline') node = node.parentElement;
    return node;
  };
  const inlineInText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    if (el.closest('header, nav, footer, .button-row, .emergency')) return false;
    const block = blockOf(el);
    return !!block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const union = (a, b) => {
    const left = Math.min(a.left, b.left), top = Math.min(a.top, b.top);
    return {width: Math.max(a.right, b.right) - left, height: Math.max(a.bottom, b.bottom) - top};
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' "' + (el.textContent || el.value || el.name || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el) || inlineInText(el)) continue;
    let box = el.getBoundingClientRect();
    let control = null;
    if (el.tagName === 'LABEL') control = document.getElementById(el.htmlFor);
    if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      const label = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (label) box = union(box, label.getBoundingClientRect());
    }
    if (control && (control.type === 'checkbox' || control.type === 'radio')) {
      box = union(box, control.getBoundingClientRect());
    } else if (control && visible(control)) {
      const own = control.getBoundingClientRect();
      if (own.width >= minimum && own.height >= minimum) continue;
    }
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push(describe(el) + ' ' + Math.round(box.width) + '×' + Math.round(box.height));
    }
  }
  return small;
}"""

# A script blocks rendering when it is loaded without defer/async in <head>, or in <body>
# before content. JSON data blocks (type=application/json) are not scripts.
BLOCKING_SCRIPTS_JS = """() => {
  const blocking = [];
  for (const script of document.scripts) {
    const type = (script.type || 'text/javascript').toLowerCase();
    if (!['', 'text/javascript', 'module', 'application/javascript'].includes(type)) continue;
    if (type === 'module' || script.defer || script.async) continue;
    let after = script.nextElementSibling, content = false;
    while (after) { if (after.tagName !== 'SCRIPT') { content = true; break; } after = after.nextElementSibling; }
    if (script.closest('head') || content || script.parentElement !== document.body) {
      blocking.push(script.src || ('inline: ' + script.textContent.slice(0, 60)));
    }
  }
  return blocking;
}"""

# The focused element, and whether it shows an outline or a box shadow that makes it visible.
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'), type: el.type || '',
          text: (el.textContent || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
          href: el.getAttribute('href'),
          // A date field's calendar button has the focus inside the field: :focus-within.
          focusVisible: el.matches(':focus-visible') || (el.tagName === 'INPUT' && el.matches(':focus-within')),
          outline: outline ? style.outlineWidth + ' ' + style.outlineStyle + ' ' + style.outlineColor : '',
          shadow: shadow ? style.boxShadow : ''};
}"""

# How wide the page is laid out against the width it was given. A phone browser zooms out to
# fit content wider than its viewport, which makes ``innerWidth`` grow with the content: compare
# with the width set, not with innerWidth alone. ``widest`` names the elements that stick out.
OVERFLOW_JS = """(width) => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  widest: [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.visually-hidden'))
    .map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '')
      + ' "' + (el.textContent || '').trim().slice(0, 30) + '" ' + Math.round(el.getBoundingClientRect().right) + 'px')
    .slice(-6)})"""


class NetworkMeter:
    """Bytes received over the network (CDP ``encodedDataLength``) since the last ``reset``.

    The page's cache is disabled, so each load is measured as a first visit.
    """

    def __init__(self, context: Any, page: Any) -> None:
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent",
                    lambda event: self.urls.__setitem__(event["requestId"], event["request"]["url"]))
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        self.sizes[request_id] = self.sizes.get(request_id, 0) + int(event["encodedDataLength"])

    def reset(self) -> None:
        self.urls.clear()
        self.sizes.clear()

    def total(self) -> int:
        return sum(self.sizes.values())

    def breakdown(self) -> list[tuple[str, int]]:
        return sorted(((self.urls.get(rid, rid), size) for rid, size in self.sizes.items()),
                      key=lambda item: -item[1])
