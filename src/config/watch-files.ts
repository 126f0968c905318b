/**
 * Watches the config and the files it names. Directories are watched rather than files because
 * editors and deploy tools replace files by rename, which a file watch would miss.
 */
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'

export function watchFiles(files: readonly string[], onChange: () => void, debounceMs = 200): () => void {
  const byDirectory = new Map<string, Set<string>>()
  for (const file of files) {
    const directory = dirname(file)
    let names = byDirectory.get(directory)
    if (names === undefined) byDirectory.set(directory, (names = new Set()))
    names.add(basename(file))
  }
  let timer: NodeJS.Timeout | null = null
  const watchers: FSWatcher[] = []
  for (const [directory, names] of byDirectory) {
    try {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        if (name !== null && !names.has(name)) return
        if (timer !== null) clearTimeout(timer)
        timer = setTimeout(() => {
          timer = null
          onChange()
        }, debounceMs)
      })
      watcher.on('error', () => watcher.close())
      watchers.push(watcher)
    } catch {
      // A directory that vanished is noticed again at the next successful reload.
    }
  }
  return () => {
    if (timer !== null) clearTimeout(timer)
    for (const watcher of watchers) watcher.close()
  }
}
