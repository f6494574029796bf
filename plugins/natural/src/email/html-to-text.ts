import { Parser } from 'htmlparser2';

/** Elements whose content is not text a reader sees. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'object', 'svg', 'head']);
/** Elements that break the line around them when rendered. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figure', 'footer',
  'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section',
  'table', 'td', 'th', 'title', 'tr', 'ul',
]);

/**
 * The text a reader of an HTML fragment would see: tags and comments removed, entities decoded
 * (named, decimal and hex), scripts and styles dropped, block elements on their own lines. The
 * `<title>` is kept even though it sits in `<head>`, since it is often the most telling line of a mail.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  let hidden = 0;
  let inTitle = false;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (name === 'title') inTitle = true;
        else if (HIDDEN.has(name)) hidden++;
        if (BLOCK.has(name)) parts.push('\n');
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (HIDDEN.has(name)) hidden = Math.max(0, hidden - 1);
        if (BLOCK.has(name)) parts.push('\n');
      },
      ontext(text) {
        if (hidden === 0 || inTitle) parts.push(text);
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return parts
    .join('')
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t\f\v\r]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}
