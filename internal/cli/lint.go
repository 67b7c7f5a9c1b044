package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/lint"
)

func newLintCmd(_ *globalFlags) *cobra.Command {
	var (
		paths  []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "lint -c PATH... [--format text|json|sarif]",
		Short: "Find CORS mistakes in a configuration, with the rule, the risk and the fix",
		Long: `Lint loads the configuration exactly as run would (native kinds and the
foreign kinds corsgate converts), reports every problem the translator finds,
and adds CORS rules of its own: origins reflected with credentials, look-alike
prefixes and regexes, null and http origins, max-age, header and method lists,
forwarded preflights, shadowed and conflicting policies, and backends that
answer CORS themselves. Every finding has a stable rule ID (CG001, ...).

Exit status: 1 when any finding is an error, 0 otherwise, 2 when lint could
not run (bad flags).`,
		Example: `  corsgate lint -c examples/bad-cors
  corsgate lint -c config/ --format sarif > corsgate.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(paths) == 0 {
				return fmt.Errorf("give at least one -c PATH")
			}
			write, err := lintWriter(format)
			if err != nil {
				return err
			}
			rep := lint.Run(paths)
			if err := write(cmd, rep); err != nil {
				return err
			}
			if rep.HasErrors() {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "config file or directory of *.yaml (repeatable)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0)")
	return cmd
}

func lintWriter(format string) (func(*cobra.Command, *lint.Report) error, error) {
	switch format {
	case "text":
		return func(cmd *cobra.Command, r *lint.Report) error { return lint.WriteText(cmd.OutOrStdout(), r) }, nil
	case "json":
		return func(cmd *cobra.Command, r *lint.Report) error { return lint.WriteJSON(cmd.OutOrStdout(), r) }, nil
	case "sarif":
		return func(cmd *cobra.Command, r *lint.Report) error {
			return lint.WriteSARIF(cmd.OutOrStdout(), r, Version)
		}, nil
	}
	return nil, fmt.Errorf("--format %q: use text, json or sarif", format)
}
