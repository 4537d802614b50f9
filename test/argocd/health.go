// Package argocd runs Roster's Argo CD health checks (config/argocd) the way
// Argo CD does: github.com/yuin/gopher-lua with only the base, table and
// package libraries open, the object in the global obj, and a one-second
// limit. The tests here check every script against recorded objects in every
// state; test/deploy checks the live objects of a synced sample against them.
package argocd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Argo CD's health statuses.
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Suspended   = "Suspended"
	Missing     = "Missing"
	Unknown     = "Unknown"
)

// Status is what a health script returned.
type Status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// RepoRoot finds the repository root (the directory with go.mod) above dir.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ScriptPath is the health script of group/kind under config/argocd.
func ScriptPath(root, group, kind string) string {
	return filepath.Join(root, "config", "argocd", group, kind, "health.lua")
}

// Health runs the health script of obj's kind.
func Health(root string, obj *unstructured.Unstructured) (Status, error) {
	gvk := obj.GroupVersionKind()
	script, err := os.ReadFile(ScriptPath(root, gvk.Group, gvk.Kind))
	if err != nil {
		return Status{}, err
	}
	return Run(string(script), obj.Object)
}

// Run runs a health script against an object, as Argo CD does.
func Run(script string, obj map[string]any) (Status, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Status{}, fmt.Errorf("opening the %s library: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Status{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Status{}, fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	st := Status{Status: luaString(ret.RawGetString("status")), Message: luaString(ret.RawGetString("message"))}
	switch st.Status {
	case Healthy, Progressing, Degraded, Suspended, Missing, Unknown:
		return st, nil
	}
	return Status{}, fmt.Errorf("the script returned the invalid health status %q", st.Status)
}

func luaString(v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return ""
}

// toLua converts decoded JSON into Lua values the way Argo CD does: objects
// and arrays become tables, numbers LNumber, null nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}
