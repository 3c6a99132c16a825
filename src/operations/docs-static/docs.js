// Copy buttons on the docs' command blocks: what is copied is the block's text, exactly as shown.
document.querySelectorAll('pre.commands').forEach((pre) => {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy-button';
  const label = pre.dataset.copyLabel || 'Copy';
  button.textContent = label;
  button.addEventListener('click', async () => {
    const text = pre.querySelector('code').textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = '✓';
    } catch {
      // No clipboard (an insecure origin): select the text for the reader to copy.
      const range = document.createRange();
      range.selectNodeContents(pre.querySelector('code'));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  pre.appendChild(button);
});
