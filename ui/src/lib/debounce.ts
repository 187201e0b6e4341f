// Waits until typing pauses before acting, so a search runs once per pause, not per key.

export interface Debounced<T> {
  (value: T): void;
  cancel(): void;
}

export function debounce<T>(wait: number, action: (value: T) => void): Debounced<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = (value: T) => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = undefined;
      action(value);
    }, wait);
  };
  debounced.cancel = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  return debounced;
}
