"""`servingstack init`: a project of one's own, in the conventions of `cdktf init --template=python`.

`template/` holds its files (dotfiles stored as `dot-<name>`), with `@@name@@` placeholders that
`render.py` fills in; `kinds.py` holds the endpoint of each kind that `main.py` may declare.
"""
