import { decodeHTML } from 'entities';
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
  return tidy(countTags(html) > MAX_PARSED_TAGS ? stripTags(html) : parse(html));
}

/**
 * Above this many tags the parser is not used: htmlparser2 keeps its stack of open elements with
 * `unshift`, so a document of n unclosed tags costs O(n²) (200,000 nested `<div>`s took 3.6 s, the
 * server's whole thread). Real mails stay far below it.
 */
const MAX_PARSED_TAGS = 20_000;

function countTags(html: string): number {
  let n = 0;
  for (let i = html.indexOf('<'); i !== -1 && n <= MAX_PARSED_TAGS; i = html.indexOf('<', i + 1)) n++;
  return n;
}

/**
 * The fallback for a pathological document, in one pass (no regex that could backtrack across it):
 * comments and hidden elements dropped, block tags as line breaks, other tags removed, entities decoded.
 */
function stripTags(html: string): string {
  let out = '';
  let hiddenUntil: string | undefined;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      if (!hiddenUntil) out += html.slice(i);
      break;
    }
    if (!hiddenUntil) out += html.slice(i, lt);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt === -1) break; // an unterminated tag: the rest is inside it
    const closing = html[lt + 1] === '/';
    const name = /^<\/?([a-zA-Z][\w-]*)/.exec(html.slice(lt, Math.min(gt + 1, lt + 40)))?.[1]?.toLowerCase();
    if (hiddenUntil) {
      if (closing && name === hiddenUntil) hiddenUntil = undefined;
    } else if (name && !closing && HIDDEN.has(name)) hiddenUntil = name;
    else if (name && BLOCK.has(name)) out += '\n';
    i = gt + 1;
  }
  return decodeHTML(out);
}

function parse(html: string): string {
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
  return parts.join('');
}

function tidy(text: string): string {
  return text
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t\f\v\r]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}
