/** A route parameter as a title shows it. Next 16.4 hands metadata its parameters decoded
 * already while pages get them encoded (vercel/next.js#95343, not yet fixed): decoded here
 * only where that succeeds, so a lone "%" cannot throw and fail the page, whichever form
 * arrives. (An escape left in a decoded symbol is read once more; no real symbol has one.) */
export function readable(param: string): string {
  try {
    return decodeURIComponent(param);
  } catch {
    return param;
  }
}
