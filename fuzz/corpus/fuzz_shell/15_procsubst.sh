while read -r line; do
  [[ $line == \#* ]] && continue
  echo "$line"
done < <(grep -v "^$" requirements.txt)
diff <(sort a) <(sort b) >/dev/null &>> log
