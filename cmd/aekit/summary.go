package main

import (
	"fmt"

	"github.com/aekit/aekit/graph"
	"github.com/spf13/cobra"
)

func newSummary() *cobra.Command {
	return &cobra.Command{
		Use:   "summary",
		Short: "Print the model's Keras-style summary table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, where, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			mc, err := modelConfig(v, where)
			if err != nil {
				return err
			}
			g, err := mc.Build()
			if err != nil {
				return fmt.Errorf("config %q: %w", where, err)
			}
			fmt.Fprint(cmd.OutOrStdout(), graph.Summary(g))
			return nil
		},
	}
}
