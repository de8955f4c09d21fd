"""Errors that the CLI turns into one readable line instead of a traceback."""


class MMRecipeError(Exception):
    """Base of the errors a user can fix (configuration, missing input, unusable backend)."""


class ConfigError(MMRecipeError):
    """The recipe, an override or a command-line argument is wrong.

    ``key`` is the path of the recipe key at fault (``("backends", "mllm", "timeout_s")``,
    step indices as ints), so the loader can say on which line of which file it is.
    """

    def __init__(self, message: str, key: tuple[str | int, ...] | None = None) -> None:
        super().__init__(message)
        self.key = key


class InputError(MMRecipeError):
    """The input path or format cannot be read."""


class BackendError(MMRecipeError):
    """A model backend cannot be built or cannot serve what the recipe asks of it."""


class BackendUnavailable(BackendError):
    """A model server cannot be reached at all: a run-level failure, not a sample's.

    The executor stops the run instead of rejecting every sample; shards already finished are
    kept, so rerunning the same command once the server is up resumes the job.
    """
