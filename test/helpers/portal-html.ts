/** Reading the portal's pages as a browser would parse them (parse5), for the portal tests. */
import { parse } from 'parse5'

export interface HtmlElement {
  readonly tag: string
  readonly attrs: Readonly<Record<string, string>>
  readonly text: string
}

interface Node {
  nodeName: string
  tagName?: string
  attrs?: { name: string; value: string }[]
  childNodes?: Node[]
  content?: Node
  value?: string
}

/** Elements whose text reads as separate from its neighbours' (cells, list items, paragraphs). */
const BLOCKS = new Set(['p', 'div', 'li', 'td', 'th', 'tr', 'dt', 'dd', 'h1', 'h2', 'h3', 'h4', 'section', 'table', 'ul'])

function textOf(node: Node): string {
  if (node.nodeName === '#text') return node.value ?? ''
  const text = (node.childNodes ?? []).map(textOf).join('')
  return node.tagName !== undefined && BLOCKS.has(node.tagName) ? ` ${text} ` : text
}

/** Every element of the page, in document order, with its attributes and text content. */
export function elementsOf(html: string): HtmlElement[] {
  const out: HtmlElement[] = []
  const stack: Node[] = [parse(html)]
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.tagName !== undefined) out.push({ tag: node.tagName, attrs: Object.fromEntries((node.attrs ?? []).map((a) => [a.name, a.value])), text: textOf(node) })
    stack.push(...[...(node.childNodes ?? [])].reverse())
  }
  return out
}

/** The text of the element with this id ('' when absent), whitespace collapsed. */
export function sectionText(html: string, id: string): string {
  return (elementsOf(html).find((e) => e.attrs.id === id)?.text ?? '').replace(/\s+/g, ' ').trim()
}
