docker run --rm -e X=${{ secrets.X || 'none' }} img sh -c "echo \$X && exit 0"
echo ${{ matrix.python-version }} ${{ format('{0}}}', x) }}
