/** A response as tests compare it: 200, or `"<status> <problem code>"` (the body is consumed). */
export async function outcomeOf(res: Response): Promise<200 | string> {
  const text = await res.text()
  return res.status === 200 ? 200 : `${res.status} ${(JSON.parse(text) as { code?: string }).code ?? ''}`
}
