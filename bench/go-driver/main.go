// Command go-driver is the benchmark's runtime on the reference libcni (Debian's
// golang-github-appc-cni-dev, v1.1.2): the library containerd, CRI-O and podman link. It
// stays up for the whole run, reads one JSON request per line on stdin and answers each with
// one JSON line on stdout, so that only the library call and the plugins it runs are timed,
// never this process's start. bench/node-driver.mjs speaks the same protocol on tscni's
// libcni.
//
// Built offline by bench/run.mjs:
//
//	GO111MODULE=off GOPATH=bench/.cache/gopath:/usr/share/gocode go build -o bench/.cache/go-driver ./bench/go-driver
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// attachment is libcni.RuntimeConf in the protocol's spelling.
type attachment struct {
	ContainerID    string                 `json:"containerID"`
	NetNS          string                 `json:"netNS"`
	IfName         string                 `json:"ifName"`
	Args           [][2]string            `json:"args,omitempty"`
	CapabilityArgs map[string]interface{} `json:"capabilityArgs,omitempty"`
}

func (a attachment) runtimeConf() *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName, Args: a.Args, CapabilityArgs: a.CapabilityArgs}
}

type request struct {
	ID int    `json:"id"`
	Op string `json:"op"` // add, check, del, addMany, delMany, exec, quit
	// add/check/del/addMany/delMany
	Path     []string        `json:"path"`
	CacheDir string          `json:"cacheDir"`
	Conflist json.RawMessage `json:"conflist"`
	RT       *attachment     `json:"rt"`
	RTs      []attachment    `json:"rts"`
	// exec: one process, timed, with its peak RSS
	Argv  []string `json:"argv"`
	Env   []string `json:"env"`
	Stdin string   `json:"stdin"`
}

type outcome struct {
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

type response struct {
	ID int `json:"id"`
	outcome
	Ms       float64   `json:"ms"`
	Outcomes []outcome `json:"outcomes,omitempty"`
	MaxRSSKB int64     `json:"maxRssKB,omitempty"`
	ExitCode int       `json:"exitCode"`
	Stdout   string    `json:"stdout,omitempty"`
	Stderr   string    `json:"stderr,omitempty"`
}

func millisSince(start time.Time) float64 {
	return float64(time.Since(start).Nanoseconds()) / 1e6
}

// runOne performs one libcni operation on one attachment.
func runOne(ctx context.Context, cni *libcni.CNIConfig, op string, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) outcome {
	switch op {
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return outcome{Error: err.Error()}
		}
		var out bytes.Buffer
		if result != nil {
			if perr := result.PrintTo(&out); perr != nil {
				return outcome{Error: perr.Error()}
			}
		}
		return outcome{OK: true, Result: json.RawMessage(bytes.TrimSpace(out.Bytes()))}
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			return outcome{Error: err.Error()}
		}
		return outcome{OK: true}
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			return outcome{Error: err.Error()}
		}
		return outcome{OK: true}
	}
	return outcome{Error: fmt.Sprintf("unknown operation %q", op)}
}

func handle(req *request) response {
	resp := response{ID: req.ID}
	ctx := context.Background()
	switch req.Op {
	case "add", "check", "del", "addMany", "delMany":
		// Parsing the list is the runtime's start-up work, not the operation's: untimed.
		list, err := libcni.ConfListFromBytes(req.Conflist)
		if err != nil {
			resp.Error = err.Error()
			return resp
		}
		cni := libcni.NewCNIConfigWithCacheDir(req.Path, req.CacheDir, nil)
		if req.Op == "addMany" || req.Op == "delMany" {
			op := "add"
			if req.Op == "delMany" {
				op = "del"
			}
			resp.Outcomes = make([]outcome, len(req.RTs))
			var wg sync.WaitGroup
			start := time.Now()
			for i := range req.RTs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					resp.Outcomes[i] = runOne(ctx, cni, op, list, req.RTs[i].runtimeConf())
				}(i)
			}
			wg.Wait()
			resp.Ms = millisSince(start)
			resp.OK = true
			return resp
		}
		if req.RT == nil {
			resp.Error = "missing rt"
			return resp
		}
		rt := req.RT.runtimeConf()
		start := time.Now()
		resp.outcome = runOne(ctx, cni, req.Op, list, rt)
		resp.Ms = millisSince(start)
		return resp
	case "exec":
		if len(req.Argv) == 0 {
			resp.Error = "missing argv"
			return resp
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(req.Argv[0], req.Argv[1:]...)
		cmd.Env = req.Env
		cmd.Stdin = bytes.NewBufferString(req.Stdin)
		cmd.Stdout = &stdout
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		resp.Ms = millisSince(start)
		resp.Stdout = stdout.String()
		resp.Stderr = stderr.String()
		if cmd.ProcessState != nil {
			resp.ExitCode = cmd.ProcessState.ExitCode()
			// ru_maxrss of a waited-for child is the peak of it and of the children it waited for.
			if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				resp.MaxRSSKB = usage.Maxrss
			}
		}
		if err != nil && cmd.ProcessState == nil {
			resp.Error = err.Error()
			return resp
		}
		resp.OK = resp.ExitCode == 0
		if !resp.OK {
			resp.Error = fmt.Sprintf("exit code %d", resp.ExitCode)
		}
		return resp
	}
	resp.Error = fmt.Sprintf("unknown op %q", req.Op)
	return resp
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = out.Encode(response{ID: -1, outcome: outcome{Error: "bad request: " + err.Error()}})
			continue
		}
		if req.Op == "quit" {
			return
		}
		resp := handle(&req)
		if err := out.Encode(resp); err != nil {
			fmt.Fprintln(os.Stderr, "go-driver:", err)
			os.Exit(1)
		}
	}
}
