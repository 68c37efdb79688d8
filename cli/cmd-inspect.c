#include "cli/container.h"
int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        return cmd_image_inspect(ctx, argc, argv);
}
int cmd_container_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        return 125;
}
int cmd_top(struct cli_ctx *ctx, int argc, char **argv)
{
        return 125;
}
int cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
        return 125;
}
