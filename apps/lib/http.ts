/** An HTTP response body as JSON; undefined when it is empty or not JSON (error pages, plain text). */
export function jsonBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
