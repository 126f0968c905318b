/** Escapes text for XML and HTML content and attribute values, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 cannot carry
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[&<>"']/g, (char) => `&#${String(char.charCodeAt(0))};`)
}
