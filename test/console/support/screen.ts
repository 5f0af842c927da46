/**
 * What a terminal shows for what was written to it: just enough of a VT100 for how readline redraws a
 * line (cursor up and to a column, erasing below, wrapping at the edge) that a test reads the screen a
 * person would see rather than escape codes. `\n` starts a new line, as a terminal's output processing
 * (onlcr) makes it; colours and other sequences change nothing here.
 */
export function renderScreen(written: string, columns: number): { lines: string[]; row: number; col: number } {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => (lines[row] ??= []);
  const moveTo = (nextRow: number) => {
    row = Math.max(0, nextRow);
    for (let r = lines.length; r <= row; r++) lines.push([]);
  };
  // eslint-disable-next-line no-control-regex -- escape sequences are what this reads
  for (const token of written.match(/\u001b\[\d*[A-Za-z]|[^]/gu) ?? []) {
    // eslint-disable-next-line no-control-regex -- escape sequences are what this reads
    const csi = /^\u001b\[(\d*)([A-Za-z])$/.exec(token);
    if (csi) {
      const n = Number(csi[1] || 1);
      const command = csi[2]!;
      if (command === "A") moveTo(row - n);
      else if (command === "G") col = Math.min(columns - 1, n - 1);
      // Erase below: the rest of this line and every line under it.
      else if (command === "J") lines.splice(row, lines.length, line().slice(0, col));
      continue;
    }
    if (token === "\r") col = 0;
    else if (token === "\n") {
      moveTo(row + 1);
      col = 0;
    } else {
      // The cursor waits at the right edge; the next character wraps.
      if (col >= columns) {
        moveTo(row + 1);
        col = 0;
      }
      const current = line();
      while (current.length < col) current.push(" ");
      current[col++] = token;
    }
  }
  return { lines: lines.map((l) => l.join("").trimEnd()), row, col };
}
