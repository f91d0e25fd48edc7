package main

import "github.com/spf13/cobra"

func newTrain() *cobra.Command       { return &cobra.Command{Use: "train"} }
func newReconstruct() *cobra.Command { return &cobra.Command{Use: "reconstruct"} }
