function __NAME__(){
  // accessible_theme.py (issue 21): pydata-sphinx-theme 0.17.1's addTabStopsToScrollableElements,
  // made lazy. As before, a code block, output or table container that scrolls gets tabIndex 0 (a
  // keyboard reaches and scrolls it) and one that does not gets -1; but each is measured when it
  // comes near the screen (an IntersectionObserver), not all of them at start-up, which read
  // scrollWidth on every one and so laid out the whole page in one long task, sections that
  // content-visibility lets the browser skip included. Until an element is measured, the
  // tabindex written at build time holds: 0 on every block that could scroll on a narrow phone.
  const selector = ["pre", ".nboutput > .output_area", ".cell_output > .output", ".jp-RenderedHTMLCommon",
    ".pst-scrollable-table-container"].join(", ");
  const near = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const el = entry.target;
      near.unobserve(el);
      el.tabIndex = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight ? 0 : -1;
    }
  }, {rootMargin: "50% 0px"});
  const update = () => {
    near.disconnect();
    document.querySelectorAll(selector).forEach((el) => near.observe(el));
  };
  const debounced = __DEBOUNCE__(update, 300);
  window.addEventListener("resize", debounced);
  new MutationObserver(debounced).observe(document.getElementById("main-content"), {subtree: true, childList: true});
  update();
}
