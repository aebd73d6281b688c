/* Copy formulas as their TeX (book/_ext/prerender_math.py): the formulas of this page were typeset
   when the book was built, so MathJax's menu ("Copy to Clipboard") is not here. When a copied
   selection holds formulas, the clipboard's text gets each as $TeX$ (inline) or $$TeX$$ (display). */
document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0 || !event.clipboardData) return;
  const range = selection.getRangeAt(0);
  const common = range.commonAncestorContainer;
  const delimited = (formula) => {
    const fence = formula.getAttribute("display") === "true" ? "$$" : "$";
    return fence + formula.getAttribute("data-tex").trim() + fence;
  };
  const inside = (common.nodeType === Node.ELEMENT_NODE ? common : common.parentElement)
    ?.closest("mjx-container[data-tex]");
  let text;
  if (inside) {
    text = delimited(inside);
  } else {
    const fragment = range.cloneContents();
    const formulas = fragment.querySelectorAll("mjx-container[data-tex]");
    if (formulas.length === 0) return;
    formulas.forEach((formula) => formula.replaceWith(delimited(formula)));
    // innerText (line breaks between blocks) needs the copy laid out: off screen, for a moment.
    const holder = document.createElement("div");
    holder.style.cssText = "position: fixed; left: -10000px; top: 0; white-space: pre-wrap;";
    holder.append(fragment);
    document.body.append(holder);
    text = holder.innerText;
    holder.remove();
  }
  event.clipboardData.setData("text/plain", text);
  event.preventDefault();
});
