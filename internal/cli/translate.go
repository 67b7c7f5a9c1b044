package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/source/file"
)

func newTranslateCmd(g *globalFlags) *cobra.Command {
	var paths []string
	cmd := &cobra.Command{
		Use:   "translate -c PATH...",
		Short: "Check a configuration and print the intermediate representation as JSON",
		Long: `Translate loads the configuration exactly as run would, prints every
problem as FILE:LINE: ..., and on success prints the active IR (the same
JSON the admin /config endpoint serves). Exit status 1 when there are errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(paths) == 0 {
				return fmt.Errorf("give at least one -c PATH")
			}
			src := &file.Source{Paths: paths, Options: config.Options{}}
			snap, problems := src.Load()
			for _, p := range problems {
				fmt.Fprintln(cmd.ErrOrStderr(), p.Error())
			}
			if snap == nil {
				return exitError{1}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(snap)
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "config file or directory of *.yaml (repeatable)")
	return cmd
}
