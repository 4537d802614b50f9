//go:build !unix

package localcluster

func checkDataDirFree(string) error { return nil }
