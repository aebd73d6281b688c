// tools/build_pdf.py runs this in Chromium on Sphinx's single page of the whole book, once
// MathJax has typeset it, to make it a printed book. `book` carries the parts and chapters of
// _toc.yml ({caption, chapters: [[docname, title], ...]}), the title page's lines (the version is
// pyproject.toml's) and the site's address. It returns what the build checks and the anchors whose pages the table of contents
// shows; window.lrbookSetPages(pages) writes those pages in after the first print.
async (book) => {
  const article = document.querySelector('article.bd-article');
  const root = article.querySelector(':scope > section');
  const made = {chapters: [], anchors: [], retargeted: 0, absolute: 0, duplicates: []};
  // The printed book is light, whatever the reader's colour mode was.
  document.documentElement.dataset.theme = 'light';
  document.documentElement.dataset.mode = 'light';

  // -- Links. Sphinx's single page links to itself as `<root>.html#id` (relative to the root, but
  // the page is written into book/): every such link becomes `#id`. Every other relative link
  // would point into the printing server, so it becomes an address on the published site: one
  // Sphinx wrote (class `reference`) is relative to the site's root, one an author wrote in a
  // chapter's raw HTML is relative to that chapter's page (all of them live in book/).
  const self = `${book.root}.html#`;
  const published = new URL(book.root + '.html', book.url);
  for (const a of document.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    if (href.startsWith(self)) {
      a.setAttribute('href', '#' + href.slice(self.length));
    } else if (!href.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(href)) {
      const base = a.classList.contains('reference') ? new URL('.', book.url) : published;
      a.setAttribute('href', new URL(href, base).href);
      made.absolute += 1;
    }
  }

  // -- Chapters: out of the introduction's toctree, each a top-level section of the article, its
  // headings two levels up (Sphinx nests them at h3), numbered when its file is (01_..., 17_...).
  const retag = (element, tag) => {
    const copy = document.createElement(tag);
    for (const attribute of element.attributes) copy.setAttribute(attribute.name, attribute.value);
    while (element.firstChild) copy.appendChild(element.firstChild);
    element.replaceWith(copy);
    return copy;
  };
  let previous = root;
  book.parts.forEach((part, partIndex) => {
    const divider = document.createElement('section');
    divider.className = 'lrbook-part';
    divider.innerHTML = `<h1 id="lrbook-part-${partIndex + 1}"><span class="lrbook-part-number">Part ${partIndex + 1}</span> </h1>`;
    divider.querySelector('h1').append(part.caption);
    previous.after(divider);
    previous = divider;
    made.anchors.push(`lrbook-part-${partIndex + 1}`);
    for (const [docname, title] of part.chapters) {
      const marker = document.getElementById(`document-${docname}`);
      const section = marker && marker.nextElementSibling;
      if (!section || section.tagName !== 'SECTION') throw new Error(`book-print: no section for ${docname}`);
      const digits = /(?:^|\/)(\d+)_[^/]*$/.exec(docname);
      const number = digits ? String(parseInt(digits[1], 10)) : null;
      section.classList.add('lrbook-chapter');
      section.id = section.id || `lrbook-chapter-${made.chapters.length + 1}`;
      const anchor = `lrbook-${docname.replace(/[^A-Za-z0-9]+/g, '-')}`;
      marker.remove();
      for (const heading of [...section.querySelectorAll('h3, h4, h5, h6')]) {
        retag(heading, 'h' + (Number(heading.tagName[1]) - 2));
      }
      // The chapter's title is what the contents link to (an empty element at the top of a page
      // gets no destination in Chromium's PDF).
      const h1 = section.querySelector('h1');
      h1.id = anchor;
      // The title as the page renders it (the TOC's file gives it in MyST).
      const rendered = [...h1.childNodes].filter(n => !(n.classList && n.classList.contains('headerlink')))
        .map(n => n.textContent).join('').trim();
      if (number !== null) {
        const label = document.createElement('span');
        label.className = 'lrbook-chapter-number';
        label.textContent = number;
        h1.prepend(label, ' ');
      }
      previous.after(section);
      previous = section;
      made.chapters.push({docname, number, title: rendered || title});
      made.anchors.push(anchor);
    }
  });

  // -- Ids the single page holds twice (docutils numbers its automatic ids per page: id1, id2...;
  // two chapters may have a section of the same name). A link to one goes to the element it meant:
  // a citation to the bibliography's entry, any other link to the element in its own chapter, else
  // to the first; that element gets an id of its own.
  const byId = new Map();
  for (const element of document.querySelectorAll('[id]')) {
    if (!byId.has(element.id)) byId.set(element.id, []);
    byId.get(element.id).push(element);
  }
  let unique = 0;
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    const candidates = byId.get(id);
    if (!candidates || candidates.length < 2) continue;
    let target = null;
    if (a.closest('.bibtex-citation, .citation-reference')) {
      target = candidates.find(e => e.closest('.citation, [role="doc-bibliography"], .bibliography'));
    }
    if (!target) {
      const here = a.closest('.lrbook-chapter');
      target = candidates.find(e => e.closest('.lrbook-chapter') === here) || candidates[0];
    }
    if (!target.dataset.lrbookId) {
      target.dataset.lrbookId = `${id}--lrbook-${++unique}`;
      made.duplicates.push(id);
    }
    a.setAttribute('href', '#' + target.dataset.lrbookId);
    made.retargeted += 1;
  }
  for (const element of document.querySelectorAll('[data-lrbook-id]')) element.id = element.dataset.lrbookId;

  // Equations, figures and exercises keep the site's numbers: Sphinx numbers them through the
  // whole book, so "(28)" or "Fig. 9" names one thing in the PDF too, as on the site.

  // -- What a click would open on the site is open on paper: solutions and other dropdowns.
  for (const element of document.querySelectorAll('.toggle-hidden')) element.classList.remove('toggle-hidden');
  // Not the code of cells the chapters hide (tag hide-input: myst-nb's details.hide), which the
  // site also shows only on request: the print leaves it out (book-print.css).
  for (const details of document.querySelectorAll('details:not(.hide)')) details.open = true;
  for (const element of document.querySelectorAll('.dropdown')) element.classList.remove('dropdown');

  // -- Title page and contents, before the introduction.
  const front = document.createElement('section');
  front.className = 'lrbook-front';
  const title = document.createElement('div');
  title.className = 'lrbook-title-page';
  title.innerHTML = `<p class="lrbook-title"></p><p class="lrbook-version"></p><p class="lrbook-author"></p>
    <p class="lrbook-built"></p><p class="lrbook-online">Online, with every chapter as a notebook:
    <a></a></p>`;
  title.querySelector('.lrbook-title').textContent = book.title;
  title.querySelector('.lrbook-version').textContent = `Version ${book.version}`;
  title.querySelector('.lrbook-author').textContent = book.author;
  title.querySelector('.lrbook-built').textContent =
    `Built ${book.date}` + (book.commit ? ` from commit ${book.commit}` : '') +
    '; every number and figure computed by the code it follows.';
  const online = title.querySelector('.lrbook-online a');
  online.href = book.url;
  online.textContent = book.url;
  const contents = document.createElement('nav');
  contents.className = 'lrbook-toc';
  contents.setAttribute('aria-label', 'Contents');
  contents.innerHTML = '<h1 id="lrbook-contents">Contents</h1><ol></ol>';
  const list = contents.querySelector('ol');
  const entry = (anchor, label, text, kind) => {
    const item = document.createElement('li');
    item.className = `lrbook-toc-${kind}`;
    item.innerHTML = '<a><span class="lrbook-toc-label"></span><span class="lrbook-toc-title"></span></a>' +
      '<span class="lrbook-toc-page"></span>';
    const link = item.querySelector('a');
    link.href = `#${anchor}`;
    item.querySelector('.lrbook-toc-label').textContent = label;
    item.querySelector('.lrbook-toc-title').textContent = text;
    item.querySelector('.lrbook-toc-page').dataset.anchor = anchor;
    list.append(item);
  };
  const rootHeading = root.querySelector('h1');
  const introAnchor = 'lrbook-introduction';
  rootHeading.id = introAnchor;
  // The title page carries the book's title; the root page's heading (the same title) becomes
  // the introduction's.
  const titleText = rootHeading && [...rootHeading.childNodes].find(n => n.nodeType === Node.TEXT_NODE);
  if (titleText) titleText.textContent = 'Introduction';
  entry(introAnchor, '', 'Introduction', 'chapter');
  made.anchors.unshift(introAnchor);
  let chapterIndex = 0;
  book.parts.forEach((part, partIndex) => {
    entry(`lrbook-part-${partIndex + 1}`, `Part ${partIndex + 1}`, part.caption, 'part');
    for (const [docname] of part.chapters) {
      const chapter = made.chapters[chapterIndex++];
      entry(`lrbook-${docname.replace(/[^A-Za-z0-9]+/g, '-')}`, chapter.number ?? '', chapter.title, 'chapter');
    }
  });
  front.append(title, contents);
  article.prepend(front);
  root.classList.add('lrbook-chapter', 'lrbook-introduction');

  window.lrbookSetPages = (pages) => {
    for (const span of document.querySelectorAll('.lrbook-toc-page')) {
      span.textContent = String(pages[span.dataset.anchor]);
    }
  };
  // Reserve the width of three digits now, so that writing the numbers in moves no line.
  for (const span of document.querySelectorAll('.lrbook-toc-page')) span.textContent = '000';

  // Solutions: where each lies (the chapters put their exercises, with the solutions, at the end).
  made.solutions = document.querySelectorAll('.solution').length;
  made.exercises = document.querySelectorAll('.exercise').length;
  made.figures = article.querySelectorAll('figure, .figure').length;
  return made;
}
