// What the page's import map gives for 'cli-progress', a CommonJS package a browser cannot load.
// Only the progress bar that fit draws on a terminal uses it (src/train/progress.ts), and a page
// is no terminal, so nothing here is ever called.

class SingleBar {
  constructor() {
    throw new Error('cli-progress: there is no terminal progress bar in the browser');
  }
}

export default { SingleBar };
