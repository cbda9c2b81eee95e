"""The dashboard for sales and marketing managers: the published marts as pages, in
English and Chinese (`make dashboard`). Reads only the published set."""
