// "Did you mean" for a misspelt key or keyword. fuzzysort finds abbreviations and dropped letters
// ("intervl_ms" → "interval_ms") but, by design, not swapped letters ("wieght"); an edit distance that counts a
// transposition as one edit covers those. The first hit wins: fuzzysort's ranking, then the nearest by edits.
import fuzzysort from 'fuzzysort';

/** The closest candidate to `word`, or undefined when none is close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (word.length === 0 || candidates.length === 0) return undefined;
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  const budget = Math.max(1, Math.floor(word.length / 3));
  // A word longer than every candidate by more than the edit budget is no typo of one; both searches would only
  // cost time, and a lot of it: a 60,000-character value in an enum field took seconds (found by the fuzz run).
  if (word.length - Math.max(...candidates.map((c) => c.length)) > budget) return undefined;
  const fuzzy = fuzzysort.go(word, candidates, { threshold: 0.3, limit: 1 });
  if (fuzzy.length > 0) return fuzzy[0].target;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d <= budget && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean "x"?)` or the empty string: appended to an error message. */
export function hint(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
