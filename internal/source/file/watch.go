package file

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/corsgate/corsgate/internal/source"
)

// watchSet says which events in a watched directory concern the
// configuration.
type watchSet struct {
	// dirs maps a watched directory to the base names that matter in it;
	// nil means every *.yaml / *.yml file (a -c directory).
	dirs map[string]map[string]bool
}

// relevant reports whether an event on name may change the configuration.
// Names starting with ".." are Kubernetes' atomic-writer entries
// ("..data", "..2024_01_01..."): a ConfigMap update swaps them, never the
// file names the user passed.
func (ws watchSet) relevant(name string) bool {
	dir, base := filepath.Dir(name), filepath.Base(name)
	names, ok := ws.dirs[dir]
	switch {
	case !ok:
		return false
	case strings.HasPrefix(base, ".."):
		return true
	case names == nil:
		ext := filepath.Ext(base)
		return ext == ".yaml" || ext == ".yml"
	}
	return names[base]
}

// watchSetFor returns the directories to watch for paths: a directory
// itself, and for a file its parent directory (so an editor's
// write-to-temp-and-rename and a ConfigMap's symlink swap are seen).
func watchSetFor(paths []string) watchSet {
	ws := watchSet{dirs: make(map[string]map[string]bool)}
	for _, p := range paths {
		p = filepath.Clean(p)
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			ws.dirs[p] = nil
			continue
		}
		dir := filepath.Dir(p)
		names, seen := ws.dirs[dir]
		if seen && names == nil {
			continue // the whole directory is watched already
		}
		if names == nil {
			names = make(map[string]bool)
			ws.dirs[dir] = names
		}
		names[filepath.Base(p)] = true
	}
	return ws
}

// Watch reloads whenever a configuration file changes, until ctx is done.
// Events are debounced: the reload starts once no event arrived for the
// Debounce period. Watch returns nil when ctx ends, or at once when the
// source has no paths (the embedded configuration); it returns an error
// when the watches cannot be set up (then SIGHUP still reloads).
func (r *Reloader) Watch(ctx context.Context) error {
	if len(r.src.Paths) == 0 {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch the configuration: %w; raise fs.inotify.max_user_instances or reload with SIGHUP", err)
	}
	defer w.Close()
	ws := watchSetFor(r.src.Paths)
	for dir := range ws.dirs {
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("watch %q: %w; check the path, or reload with SIGHUP", dir, err)
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod || !ws.relevant(ev.Name) {
				continue
			}
			timer.Reset(r.debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			// An overflow loses events: reload to be sure.
			r.log.Warn("configuration watch error; reloading to catch up", slog.Any("error", err))
			timer.Reset(r.debounce)
		case <-timer.C:
			if ctx.Err() != nil {
				return nil
			}
			_ = r.Reload(source.TriggerFile) // logged and recorded by Reload
		}
	}
}
